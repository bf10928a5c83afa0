// W12, multiproc's side: each mode behind one small interface, a Port, so that the harness's loops
// (bench/ipc.ts) and the child's (bench/ipc-tasks.ts) are the same for every mode. A message is
// SIZE bytes. Queues and Connections keep message boundaries (one receive per message); byte
// streams (pipe, FIFO) do not: their Port counts bytes as the Readable delivers them, as a stream
// reader does, and a message is one write() of SIZE bytes.
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type { MultiprocBytesConnection, MultiprocPosixMessageQueue, MultiprocSysVMessageQueue } from './library.ts';

export interface Port {
  /** Sends one message; a promise only where the sender must wait (room in a queue, a stream's drain). */
  send(message: Uint8Array): Promise<unknown> | undefined;
  /** Waits for the next `count` messages. */
  receive(count: number): Promise<void>;
  /** Sends each of the next `count` messages back as it arrives. */
  echo(count: number): Promise<void>;
  /** Flushes what was sent and closes this side's objects (never removes a named one). */
  close(): Promise<void>;
}

/** A message that is not SIZE bytes long means the loop measured something else: fail loudly. */
function checkSize(got: number, size: number): void {
  if (got !== size) throw new Error(`W12: received a message of ${got} bytes, expected ${size}`);
}

/** A queue or Connection: `receiveOne` gives one whole message. */
export class MessagePort implements Port {
  readonly #send: (message: Uint8Array) => unknown;
  readonly #receiveOne: () => Promise<Uint8Array | { data: Uint8Array }>;
  readonly #close: () => unknown;
  readonly #size: number;

  constructor(size: number, send: (message: Uint8Array) => unknown, receiveOne: () => Promise<Uint8Array | { data: Uint8Array }>, close: () => unknown) {
    this.#size = size;
    this.#send = send;
    this.#receiveOne = receiveOne;
    this.#close = close;
  }

  send(message: Uint8Array): Promise<unknown> | undefined {
    const sent = this.#send(message);
    return sent instanceof Promise ? sent : undefined;
  }

  async receive(count: number): Promise<void> {
    let last: Uint8Array | { data: Uint8Array } | undefined;
    for (let index = 0; index < count; index++) last = await this.#receiveOne();
    if (last) checkSize(last instanceof Uint8Array ? last.byteLength : last.data.byteLength, this.#size);
  }

  async echo(count: number): Promise<void> {
    for (let index = 0; index < count; index++) {
      const got = await this.#receiveOne();
      const sent = this.#send(got instanceof Uint8Array ? got : got.data);
      if (sent instanceof Promise) await sent;
    }
  }

  async close(): Promise<void> {
    await this.#close();
  }
}

/** multiproc's Pipe() end or a socketPair() end: sendBytes / recvBytes. */
export function connectionPort(connection: MultiprocBytesConnection, size: number): Port {
  return new MessagePort(
    size,
    (message) => connection.sendBytes(message),
    () => connection.recvBytes(),
    () => connection.close(),
  );
}

/** Two POSIX queues, one each way. */
export function posixPort(inward: MultiprocPosixMessageQueue, outward: MultiprocPosixMessageQueue, size: number): Port {
  return new MessagePort(
    size,
    (message) => outward.send(message),
    () => inward.receive(),
    () => {
      inward.close();
      outward.close();
    },
  );
}

/** One System V queue: the message type tells the direction. */
export function sysvPort(queue: MultiprocSysVMessageQueue, typeIn: number, typeOut: number, size: number): Port {
  return new MessagePort(
    size,
    (message) => queue.send(typeOut, message),
    () => queue.receive({ type: typeIn }),
    () => {},
  );
}

/** A Readable and a Writable byte stream (pipe, FIFO): bytes are counted as they arrive. */
export class StreamPort implements Port {
  readonly #readable: Readable;
  readonly #writable: Writable;
  readonly #size: number;
  #received = 0;
  #expected = 0;
  #echoing = false;
  #waiter: { resolve: () => void; reject: (error: Error) => void } | null = null;
  #failure: Error | null = null;

  constructor(readable: Readable, writable: Writable, size: number) {
    this.#readable = readable;
    this.#writable = writable;
    this.#size = size;
    readable.on('data', (chunk: Buffer) => this.#onData(chunk));
    readable.on('error', (error: Error) => this.#fail(error));
    readable.on('end', () => this.#fail(new Error('W12: the stream ended before every message came')));
    writable.on('error', (error: Error) => this.#fail(error));
  }

  #onData(chunk: Buffer): void {
    this.#received += chunk.byteLength;
    if (this.#echoing) this.#writable.write(chunk);
    if (this.#waiter && this.#received >= this.#expected) {
      const { resolve } = this.#waiter;
      this.#waiter = null;
      resolve();
    }
  }

  #fail(error: Error): void {
    if (this.#received >= this.#expected && !this.#waiter) return; // the end after the last message
    this.#failure ??= error;
    this.#waiter?.reject(error);
    this.#waiter = null;
  }

  send(message: Uint8Array): Promise<unknown> | undefined {
    return this.#writable.write(message) ? undefined : once(this.#writable, 'drain');
  }

  receive(count: number): Promise<void> {
    this.#expected += count * this.#size;
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#received >= this.#expected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  async echo(count: number): Promise<void> {
    this.#echoing = true;
    await this.receive(count);
    this.#echoing = false;
    if (this.#received !== this.#expected) throw new Error(`W12: ${this.#received} bytes came, expected ${this.#expected}`);
  }

  async close(): Promise<void> {
    // What is still buffered must reach the peer before this process may exit.
    await new Promise<void>((resolve) => this.#writable.end(resolve));
    this.#readable.destroy();
  }
}
