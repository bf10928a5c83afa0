// A Transport over a stream socket (TCP or unix), for the connections of Listener and Client.
// Each record is a frame: [uint32 big-endian length][uint8 kind] then `length` bytes.
//
// Received bytes are parsed lazily, one frame when a reader asks for one, so the rules for the
// next frame are those in force when it is read. Until the authkey handshake is over, only
// handshake frames of at most 256 bytes are accepted: an unauthenticated peer cannot make this
// process allocate more than that (and the socket stops reading while unparsed bytes pile up).
// A broken frame (unknown kind, too long, cut by the end of the stream) never throws from a
// socket event: the transport fails, closes the socket, and the next read throws.
//
// A frame's length is checked at its header, against `maxMessageSize` (and a recvBytes()
// `maxLength`), before anything is allocated for it; a frame under the limit is not allocated
// at once either: its buffer grows with the bytes that actually arrive, so a peer that claims
// a long frame and sends little costs little.

import type { Socket } from 'node:net';
import { EOFError, InvalidStateError } from '../base/errors.js';
import { outOfRange } from '../base/validate.js';
import { RecordKind, type Transport, type TransportRecord } from './connection.js';
import { writeDirectly } from './direct-write.js';

const HEADER_BYTES = 5;
/** The kinds a Connection writes (message.ts): 0 to this one. */
const LAST_MESSAGE_KIND = Math.max(...Object.values(RecordKind));
/** The kind of the frames of the authkey handshake (auth.ts), far from the kinds of messages. */
export const HANDSHAKE_KIND = 255;
/** The longest frame accepted before authentication (Python's `recv_bytes(256)`). */
export const HANDSHAKE_MAX_BYTES = 256;
/** The longest frame the header can describe, and the largest `maxMessageSize`. */
export const MAX_FRAME_BYTES = 2 ** 32 - 1;
/** The default `maxMessageSize` of Listener and Client (SPEC §14): 256 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 2 ** 28;
/** The first buffer of a frame too long for one received chunk; it doubles as bytes arrive. */
const FIRST_BODY_BYTES = 64 * 1024;
/** The longest a waitForRecord() lasts. */
const MAX_WAIT_MS = 1000;
/** Unparsed bytes above which the socket stops reading until a reader takes some. */
const HIGH_WATER_BYTES = { handshake: 4096, open: 1 << 20 } as const;

type Phase = keyof typeof HIGH_WATER_BYTES;

/** What auth.ts needs of a link: handshake messages, one way and the other. */
export interface HandshakeLink {
  sendHandshake(bytes: Uint8Array): void;
  receiveHandshake(): Promise<Uint8Array>;
  describe(): string;
}

/** The transport of a new socket: no Nagle delay on TCP (messages are often small requests and replies). */
export function socketTransport(socket: Socket, name: string, isHandshaking: boolean, maxMessageBytes: number): SocketTransport {
  if (socket.remoteAddress !== undefined) socket.setNoDelay(true);
  return new SocketTransport(socket, name, isHandshaking, maxMessageBytes);
}

export class SocketTransport implements Transport, HandshakeLink {
  /** A socket's other end is outside the tree, even when it passed the authkey handshake. */
  readonly origin = 'peer';
  readonly readable = true;
  readonly writable = true;
  readonly #socket: Socket;
  readonly #name: string;
  #phase: Phase;
  /** Received bytes not parsed yet, and their total length. */
  #chunks: Buffer[] = [];
  #chunkBytes = 0;
  readonly #header = Buffer.alloc(HEADER_BYTES);
  #headerFilled = 0;
  readonly #maxMessageBytes: number;
  /** The frame being filled once its header is read (its buffer may be shorter than the frame); null between frames. */
  #body: Buffer | null = null;
  #bodyLength = 0;
  #bodyFilled = 0;
  #bodyKind = 0;
  /** The longest frame the current read takes (a recvBytes() maxLength); set only during tryRead(). */
  #readLimit = Number.POSITIVE_INFINITY;
  /** A parsed record not taken yet (peek() parses one ahead). */
  #ready: TransportRecord | null = null;
  #failure: Error | null = null;
  #isEnded = false;
  #isClosed = false;
  /** What waitForRecord()'s callers wait for: settled by the next arrival (or the end); null when nobody waits. */
  #arrival: { promise: Promise<void>; settle: () => void } | null = null;
  /** Settles #arrival now and then while someone waits (see waitForRecord); null when nobody has waited yet or after close. */
  #pulse: NodeJS.Timeout | null = null;

  /**
   * @param name For messages: "socket to 127.0.0.1:4000".
   * @param isHandshaking True when an authkey handshake must run before any message is read.
   * @param maxMessageBytes The longest frame sent or received (checked at its header).
   */
  constructor(socket: Socket, name: string, isHandshaking: boolean, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {
    this.#socket = socket;
    this.#name = name;
    this.#maxMessageBytes = maxMessageBytes;
    this.#phase = isHandshaking ? 'handshake' : 'open';
    const fd = (socket as unknown as { _handle: { fd?: number } | null })._handle?.fd;
    if (fd !== undefined) writeDirectly(socket, fd);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('end', () => this.#end());
    socket.on('close', () => this.#end());
    // A reset or a failed write ends the stream: reads return what arrived, then EOF.
    socket.on('error', () => this.#end());
  }

  /**
   * Whether the open socket keeps the process alive (Node's ref/unref): a manager's client keeps
   * its connection open between calls, but only a call in progress should hold the process.
   */
  keepProcessAlive(keep: boolean): void {
    if (keep) this.#socket.ref();
    else this.#socket.unref();
  }

  write(kind: number, parts: readonly Uint8Array[]): void {
    const length = parts.reduce((sum, part) => sum + part.byteLength, 0);
    if (length > this.#maxMessageBytes && kind !== HANDSHAKE_KIND) {
      throw outOfRange('Connection.send', `a message of at most "maxMessageSize" = ${this.#maxMessageBytes} bytes`, `${length} bytes`, 'Nothing was sent; raise "maxMessageSize" on both ends, or send the data in parts.');
    }
    if (this.#isClosed || this.#failure !== null || !this.#socket.writable) {
      throw Object.assign(new Error(`Connection.send: the ${this.#name} is closed; nobody can receive this message (broken pipe).`), { code: 'EPIPE' });
    }
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header.writeUInt32BE(length, 0);
    header[4] = kind;
    // One copy: the caller may change its buffer as soon as send() returns, the socket sends later.
    this.#socket.write(Buffer.concat([header, ...parts]));
  }

  tryRead(maxBytes?: number): TransportRecord | null | 'eof' {
    if (maxBytes !== undefined) this.#takeAtMost(maxBytes);
    else this.#advance();
    const record = this.#ready;
    if (record !== null) {
      this.#ready = null;
      this.#flow();
      return record;
    }
    if (this.#failure !== null) throw this.#failure;
    return this.#isEnded ? 'eof' : null;
  }

  peek(): 'record' | 'eof' | null {
    this.#advance();
    if (this.#ready !== null) return 'record';
    return this.#failure !== null || this.#isEnded ? 'eof' : null;
  }

  waitForRecord(timeoutMs: number | undefined, _isFirstWait: boolean): Promise<void> {
    if (this.#isClosed || this.peek() !== null) return Promise.resolve();
    // Every waiter shares one promise, settled by the next arrival (no timer per wait, no waker
    // per waiter). Even an endless wait returns now and then (callers loop): wait() races
    // several connections, and the losers' reactions must not pile up on a quiet one; one timer
    // per transport settles the shared promise every MAX_WAIT_MS while someone waits.
    let arrival = this.#arrival;
    if (arrival === null) {
      let settle = (): void => {};
      const promise = new Promise<void>((resolve) => {
        settle = resolve;
      });
      arrival = this.#arrival = { promise, settle };
    }
    if (this.#pulse === null && !this.#isEnded && this.#failure === null) this.#pulse = setInterval(() => this.#onPulse(), MAX_WAIT_MS).unref();
    if (timeoutMs === undefined || timeoutMs >= MAX_WAIT_MS) return arrival.promise;
    const { promise } = arrival;
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      promise.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Parses the next frame if it is at most `maxBytes` long; fails (closing the socket) when it is longer. */
  #takeAtMost(maxBytes: number): void {
    this.#readLimit = maxBytes;
    try {
      this.#advance();
    } finally {
      this.#readLimit = Number.POSITIVE_INFINITY;
    }
    // A frame parsed or begun before this read (by poll()) was checked against maxMessageSize only.
    const length = this.#ready?.bytes.byteLength ?? (this.#body !== null ? this.#bodyLength : 0);
    if (length > maxBytes) this.#fail(this.#tooLong(length, maxBytes, '"maxLength"'));
  }

  #tooLong(length: number, limit: number, option: string): RangeError {
    return outOfRange(
      `Connection.recv: the length that the next frame from the ${this.#name} announces`,
      `at most ${option} = ${limit} bytes`,
      length,
      'Nothing was allocated for it, and the connection was closed (the rest of the stream cannot be read past it).',
    );
  }

  /** Sends what was written, then closes the socket; the peer reads EOF after the last message. */
  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#dropReceived();
    const socket = this.#socket;
    socket.resume(); // whatever still arrives is dropped, so the peer's end can come through
    if (!socket.destroyed) socket.end(() => socket.destroy());
    this.#wake();
  }

  describe(): string {
    return this.#name;
  }

  sendHandshake(bytes: Uint8Array): void {
    this.write(HANDSHAKE_KIND, [bytes]);
  }

  async receiveHandshake(): Promise<Uint8Array> {
    for (;;) {
      if (this.#isClosed) throw new InvalidStateError(`the ${this.#name} was closed during the authkey handshake.`);
      const record = this.tryRead();
      if (record === 'eof') throw new EOFError(`the peer closed the ${this.#name} during the authkey handshake.`);
      if (record !== null) return record.bytes;
      await this.waitForRecord(undefined, false);
    }
  }

  /** The handshake succeeded: messages of any size and kind may be read from now on. */
  authenticated(): void {
    this.#phase = 'open';
    this.#flow();
  }

  #receive(chunk: Buffer): void {
    if (this.#isClosed || this.#failure !== null) return;
    this.#chunks.push(chunk);
    this.#chunkBytes += chunk.length;
    this.#flow();
    this.#wake();
  }

  #end(): void {
    this.#isEnded = true;
    this.#wake();
  }

  #wake(): void {
    const arrival = this.#arrival;
    this.#arrival = null;
    arrival?.settle();
    if (this.#isClosed || this.#isEnded || this.#failure !== null) this.#stopPulse();
  }

  /** The periodic settling of waitForRecord(): a whole period with nobody waiting stops it. */
  #onPulse(): void {
    if (this.#arrival === null) this.#stopPulse();
    else this.#wake();
  }

  #stopPulse(): void {
    if (this.#pulse !== null) clearInterval(this.#pulse);
    this.#pulse = null;
  }

  /** Reads from the socket while few unparsed bytes wait; stops it (the kernel then holds them) otherwise. */
  #flow(): void {
    if (this.#isClosed || this.#failure !== null || this.#socket.destroyed) return;
    const isFull = this.#chunkBytes > HIGH_WATER_BYTES[this.#phase];
    if (isFull && !this.#socket.isPaused()) this.#socket.pause();
    else if (!isFull && this.#socket.isPaused()) this.#socket.resume();
  }

  /** Parses the next frame into #ready, if all its bytes are here. */
  #advance(): void {
    while (this.#ready === null && this.#failure === null && !this.#isClosed) {
      if (this.#body === null && !this.#takeHeader()) break;
      if (!this.#takeBody()) break;
    }
    this.#checkCut();
    this.#flow();
  }

  /** Reads a frame's header; false when its five bytes are not all here, or when it is refused. */
  #takeHeader(): boolean {
    this.#headerFilled += this.#copyInto(this.#header, this.#headerFilled);
    if (this.#headerFilled < HEADER_BYTES) return false;
    this.#headerFilled = 0;
    const length = this.#header.readUInt32BE(0);
    const kind = this.#header[4]!;
    const problem = this.#frameProblem(kind, length);
    if (problem !== null) {
      this.#fail(problem);
      return false;
    }
    this.#bodyKind = kind;
    this.#bodyLength = length;
    this.#bodyFilled = 0;
    const head = this.#chunks[0];
    // The whole frame is in one chunk, 8-byte aligned (a typed array may be a view of it): no copy.
    if (head !== undefined && head.length >= length && head.byteOffset % 8 === 0) {
      this.#body = head.subarray(0, length);
      this.#bodyFilled = length;
      this.#consume(length);
      return true;
    }
    return this.#reserve(Math.min(length, FIRST_BODY_BYTES));
  }

  /** Makes the frame's buffer at least `bytes` long (never longer than the frame), keeping what it holds. */
  #reserve(bytes: number): boolean {
    const body = this.#body;
    if (body !== null && body.length >= bytes) return true;
    const capacity = Math.min(this.#bodyLength, Math.max(bytes, (body?.length ?? 0) * 2));
    try {
      const grown = Buffer.allocUnsafe(capacity);
      if (body !== null) grown.set(body.subarray(0, this.#bodyFilled));
      this.#body = grown;
      return true;
    } catch (error) {
      this.#fail(new InvalidStateError(`${this.#name}: a ${this.#bodyLength}-byte message arrived but no memory could be allocated for it; the socket was closed.`, { cause: error }));
      return false;
    }
  }

  /** Fills the current frame with the bytes that arrived; true once it is whole (it is then #ready). */
  #takeBody(): boolean {
    if (!this.#reserve(Math.min(this.#bodyLength, this.#bodyFilled + this.#chunkBytes))) return false;
    const body = this.#body!;
    this.#bodyFilled += this.#copyInto(body, this.#bodyFilled);
    if (this.#bodyFilled < this.#bodyLength) return false;
    this.#ready = { kind: this.#bodyKind, bytes: body.length === this.#bodyLength ? body : body.subarray(0, this.#bodyLength) };
    this.#body = null;
    return true;
  }

  /** Why a frame with this header cannot be read now; null when it can. */
  #frameProblem(kind: number, length: number): Error | null {
    const name = this.#name;
    if (this.#phase === 'handshake') {
      if (kind !== HANDSHAKE_KIND) {
        return new InvalidStateError(`${name}: the peer sent a message (record kind ${kind}) before the authkey handshake was over: give both ends the same authkey, or neither one.`);
      }
      if (length > HANDSHAKE_MAX_BYTES) {
        return new InvalidStateError(`${name}: the peer sent a ${length}-byte message during the authkey handshake; at most ${HANDSHAKE_MAX_BYTES} bytes are accepted before authentication, so the socket was closed.`);
      }
      return null;
    }
    if (kind === HANDSHAKE_KIND) {
      return new InvalidStateError(`${name}: the peer sent an authkey challenge, but this end was given no authkey: give both ends the same authkey, or neither one. The socket was closed.`);
    }
    if (kind > LAST_MESSAGE_KIND) {
      return new InvalidStateError(`${name}: a malformed frame arrived (record kind ${kind}, which no Connection sends): the peer does not speak multiproc's protocol, so the socket was closed.`);
    }
    if (length > this.#maxMessageBytes) return this.#tooLong(length, this.#maxMessageBytes, '"maxMessageSize"');
    if (length > this.#readLimit) return this.#tooLong(length, this.#readLimit, '"maxLength"');
    return null;
  }

  /** The stream ended inside a frame: what is left of it will never come. */
  #checkCut(): void {
    if (!this.#isEnded || this.#ready !== null || this.#failure !== null || this.#chunkBytes > 0) return;
    if (this.#headerFilled > 0) {
      this.#fail(new EOFError(`${this.#name}: the peer closed the socket in the middle of a message header (${this.#headerFilled} of ${HEADER_BYTES} bytes came).`));
    } else if (this.#body !== null) {
      this.#fail(new EOFError(`${this.#name}: the peer closed the socket in the middle of a message (${this.#bodyFilled} of ${this.#bodyLength} bytes came); it was dropped.`));
    }
  }

  #fail(error: Error): void {
    if (this.#failure !== null) return;
    this.#failure = error;
    this.#dropReceived();
    this.#socket.destroy();
    this.#wake();
  }

  #dropReceived(): void {
    this.#chunks = [];
    this.#chunkBytes = 0;
    this.#body = null;
    this.#ready = null;
  }

  /** Copies received bytes into `target` from `at` on, as many as it has room for; returns their count. */
  #copyInto(target: Uint8Array, at: number): number {
    let copied = 0;
    while (at + copied < target.length && this.#chunks.length > 0) {
      const head = this.#chunks[0]!;
      const take = Math.min(head.length, target.length - at - copied);
      target.set(head.subarray(0, take), at + copied);
      this.#consume(take);
      copied += take;
    }
    return copied;
  }

  /** Forgets the first `count` received bytes (all in the first chunk). */
  #consume(count: number): void {
    const head = this.#chunks[0]!;
    if (count === head.length) this.#chunks.shift();
    else this.#chunks[0] = head.subarray(count);
    this.#chunkBytes -= count;
  }
}
