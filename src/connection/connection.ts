// Connection: Python's multiprocessing.connection.Connection, over a transport: a pipe's
// channels in shared memory (Pipe) or a socket (Listener/Client). Messages are structured
// clones (node:v8), never code: nothing received can execute, unlike pickle.

import { BufferTooShort, EOFError, InvalidStateError } from '../base/errors.js';
import { raceAbort, type WaitOptions, signalOption, throwIfAborted } from '../base/abort.js';
import { Deadline } from '../base/deadline.js';
import { holdEventLoop } from '../base/keep-alive.js';
import { checkInteger, checkTimeout, invalidType, outOfRange } from '../base/validate.js';
import type { Origin } from '../tasks/codec.js';
import { decodeMessage, encodeMessage, RecordKind } from './message.js';

export { RecordKind };

export interface TransportRecord {
  readonly kind: number;
  readonly bytes: Uint8Array;
}

/** How a Connection moves records; its methods throw or report EOF, the Connection phrases errors. */
export interface Transport {
  readonly readable: boolean;
  readonly writable: boolean;
  /**
   * Who is at the other end: 'tree' for the tree's own transports (pipes), which carry handles;
   * 'peer' for a socket, which carries plain data only (SPEC §10, §14).
   */
  readonly origin: Origin;
  /** Appends one record; synchronous. Throws when the other end is gone. */
  write(kind: number, parts: readonly Uint8Array[]): void;
  /**
   * The next record, null when none is there yet, 'eof' when none will ever come. A transport
   * that reads frame headers throws a RangeError (and closes) when the next one is over `maxBytes`.
   */
  tryRead(maxBytes?: number): TransportRecord | null | 'eof';
  /** Whether tryRead() would return a record, 'eof', or nothing (null) now; takes nothing. */
  peek(): 'record' | 'eof' | null;
  /** Resolves when a record may have arrived or the end may have closed, or after `timeoutMs`. */
  waitForRecord(timeoutMs: number | undefined, isFirstWait: boolean): Promise<void>;
  /**
   * Blocks this thread until a record may be there, `timeoutMs` at most; true when one is. Only
   * transports in shared memory have it (see Channel.waitForRecordSync).
   */
  waitForRecordSync?(timeoutMs: number): boolean;
  close(): void;
  /** For error messages and toString(): "pipe", "socket to 127.0.0.1:4000"... */
  describe(): string;
}

function toBytes(where: string, buffer: unknown): Uint8Array {
  if (buffer instanceof Uint8Array) return buffer;
  if (ArrayBuffer.isView(buffer)) return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (buffer instanceof ArrayBuffer || buffer instanceof SharedArrayBuffer) return new Uint8Array(buffer);
  throw invalidType(where, 'a Buffer, typed array, DataView or ArrayBuffer', buffer);
}

/** The transport under a connection, for wait() and for sending a pipe end elsewhere (package-private: not exported from the root). */
export let transportOf: (connection: Connection<never>) => Transport;

/**
 * One end of a two-way (or one-way) link to another process or thread, carrying values of type
 * `T` (what `send` takes and `recv` resolves to; `unknown` unless the creator says).
 *
 * @example
 * const [parentEnd, childEnd] = Pipe();
 * // child: childEnd.send({ hello: 'parent' });
 * console.log(await parentEnd.recv());
 */
export class Connection<T = unknown> {
  #transport: Transport | null;
  readonly #readable: boolean;
  readonly #writable: boolean;

  /** @internal Connections come from Pipe(), Listener.accept() and Client(). */
  constructor(transport: Transport) {
    this.#transport = transport;
    this.#readable = transport.readable;
    this.#writable = transport.writable;
  }

  get closed(): boolean {
    return this.#transport === null;
  }

  get readable(): boolean {
    return this.#readable;
  }

  get writable(): boolean {
    return this.#writable;
  }

  static {
    transportOf = (connection) => connection.#open('Connection');
  }

  /** Sends a value (a structured clone: see "What can be sent"). Synchronous: it is in the pipe on return. */
  send(obj: T): void {
    const transport = this.#writableTransport('Connection.send');
    const message = encodeMessage(obj, 'Connection.send: obj', transport.origin === 'peer' ? 'peer' : 'process');
    transport.write(message.kind, message.parts);
  }

  /**
   * Receives the next value; rejects with EOFError once the other end is closed and nothing is
   * left. Aborting `signal` rejects with its reason and reads nothing: the next message stays
   * for the next recv.
   */
  async recv<R = T>(options?: WaitOptions): Promise<R> {
    const signal = signalOption('Connection.recv', options);
    const transport = this.#readableTransport('Connection.recv');
    const { kind, bytes } = await this.#nextRecord('Connection.recv', signal);
    return decodeMessage(kind, bytes, 'Connection.recv', transport.origin) as R;
  }

  /** Sends `size` bytes of `buf` from `offset`, as one message, without serializing them. */
  sendBytes(buf: ArrayBufferView | ArrayBuffer | SharedArrayBuffer, offset = 0, size?: number): void {
    const transport = this.#writableTransport('Connection.sendBytes');
    const bytes = toBytes('Connection.sendBytes: "buf"', buf);
    const start = checkInteger('Connection.sendBytes: "offset"', offset, 0);
    if (start > bytes.byteLength) throw outOfRange('Connection.sendBytes: "offset"', `at most the buffer's length, ${bytes.byteLength}`, offset);
    const length = size === undefined ? bytes.byteLength - start : checkInteger('Connection.sendBytes: "size"', size, 0);
    if (start + length > bytes.byteLength) {
      throw outOfRange('Connection.sendBytes: "size"', `at most ${bytes.byteLength - start} (the bytes after "offset")`, size);
    }
    transport.write(RecordKind.Bytes, [bytes.subarray(start, start + length)]);
  }

  /**
   * Receives the next message as bytes. A message longer than `maxLength` rejects (and is
   * dropped): Python's OSError "bad message length". Aborting `signal` reads nothing.
   */
  async recvBytes(maxLength?: number | null, options?: WaitOptions): Promise<Uint8Array> {
    const limit = maxLength == null ? undefined : checkInteger('Connection.recvBytes: "maxLength"', maxLength, 0);
    const signal = signalOption('Connection.recvBytes', options);
    const { bytes } = await this.#nextRecord('Connection.recvBytes', signal, limit);
    if (limit !== undefined && bytes.byteLength > limit) {
      throw outOfRange('Connection.recvBytes', `a message of at most "maxLength" = ${limit} bytes`, `${bytes.byteLength} bytes`, 'The message was dropped.');
    }
    return Buffer.from(bytes);
  }

  /**
   * Receives the next message into `buf` at byte `offset`; resolves to its length. When it does
   * not fit, rejects with BufferTooShort, whose `data` holds the whole message (Python's `args[0]`).
   * Aborting `signal` reads nothing.
   */
  async recvBytesInto(buf: ArrayBufferView | ArrayBuffer | SharedArrayBuffer, offset = 0, options?: WaitOptions): Promise<number> {
    const target = toBytes('Connection.recvBytesInto: "buf"', buf);
    const start = checkInteger('Connection.recvBytesInto: "offset"', offset, 0);
    if (start > target.byteLength) throw outOfRange('Connection.recvBytesInto: "offset"', `at most the buffer's length, ${target.byteLength}`, offset);
    const signal = signalOption('Connection.recvBytesInto', options);
    const { bytes } = await this.#nextRecord('Connection.recvBytesInto', signal);
    if (bytes.byteLength > target.byteLength - start) {
      const error = new BufferTooShort(
        `Connection.recvBytesInto: the message has ${bytes.byteLength} bytes, but "buf" has room for ${target.byteLength - start} after offset ${start}; the message is in error.data.`,
      );
      Object.defineProperty(error, 'data', { value: Buffer.from(bytes), enumerable: true });
      throw error;
    }
    target.set(bytes, start);
    return bytes.byteLength;
  }

  /**
   * True when recv() would not wait: a message is there, or the other end is closed. Waits up to
   * `timeout` ms for one (default 0: look and return; null: wait as long as it takes). Aborting
   * `signal` rejects with its reason.
   */
  async poll(timeout: number | null = 0, options?: WaitOptions): Promise<boolean> {
    const timeoutMs = checkTimeout('Connection.poll: "timeout"', timeout);
    const signal = signalOption('Connection.poll', options);
    return this.#waitUntil('Connection.poll', signal, Deadline.after(timeoutMs), (transport) => (transport.peek() !== null ? true : null));
  }

  /** Closes this end here (other processes' copies stay open). Idempotent. */
  close(): void {
    this.#transport?.close();
    this.#transport = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `<Connection ${this.#transport ? this.#transport.describe() : 'closed'}>`;
  }

  #open(where: string): Transport {
    if (!this.#transport) throw new InvalidStateError(`${where}: the connection is closed.`);
    return this.#transport;
  }

  #writableTransport(where: string): Transport {
    const transport = this.#open(where);
    if (!this.#writable) throw new InvalidStateError(`${where}: this end is read-only (a one-way Pipe(false) sends from its second end).`);
    return transport;
  }

  #readableTransport(where: string): Transport {
    const transport = this.#open(where);
    if (!this.#readable) throw new InvalidStateError(`${where}: this end is write-only (a one-way Pipe(false) receives on its first end).`);
    return transport;
  }

  /**
   * The next record; waits as long as it takes (a closed other end rejects with EOFError).
   */
  #nextRecord(where: string, signal: AbortSignal | undefined, maxBytes?: number): Promise<TransportRecord> {
    return this.#waitUntil(where, signal, Deadline.after(undefined), (transport) => {
      const record = transport.tryRead(maxBytes);
      if (record === 'eof') throw new EOFError(`${where}: the other end of the ${transport.describe()} is closed, and every message it sent was received.`);
      return record;
    }) as Promise<TransportRecord>;
  }

  /**
   * Calls `attempt` until it returns something other than null, waiting for records between
   * tries; false once `deadline` passed. The signal is checked before every attempt, so an
   * aborted wait takes nothing; the event loop is held open while waiting.
   */
  async #waitUntil<R>(where: string, signal: AbortSignal | undefined, deadline: Deadline, attempt: (transport: Transport) => R | null): Promise<R | false> {
    let release: (() => void) | undefined;
    try {
      for (let round = 0; ; round++) {
        throwIfAborted(signal);
        const transport = this.#readableTransport(where);
        const outcome = attempt(transport);
        if (outcome !== null) return outcome;
        if (deadline.passed()) return false;
        release ??= holdEventLoop();
        await raceAbort(transport.waitForRecord(deadline.remaining(), round === 0), signal);
      }
    } finally {
      release?.();
    }
  }
}
