// SysVMessageQueue: a System V message queue (msgget, msgsnd, msgrcv), Python's
// sysv_ipc.MessageQueue. Messages carry a type (a positive integer) that receivers select on.
// A send or receive that must wait does so on a waiting thread of the addon, never the event loop;
// a timeout or abort interrupts it, and an interrupted receive has taken no message.

import { checkSignal } from '../base/abort.js';
import { blockingCall } from '../base/blocking-call.js';
import { TimeoutError } from '../base/errors.js';
import { checkOptionsObject, checkTimeout, invalidType, outOfRange } from '../base/validate.js';
import type { NativeBinding, SysVMessageRecord } from '../native/binding.js';
import { requireNative } from '../native/loader.js';
import { registerHandleType } from '../tasks/codec.js';
import {
  checkKey,
  checkOpenOptions,
  checkSysVRecord,
  goneError,
  IPC_PRIVATE,
  kernelLimit,
  keyText,
  openError,
  removedError,
  removeOnce,
  type SysVOpenOptions,
  withinKernelLimit,
} from './sysv-object.js';

/** Options of `new SysVMessageQueue(key, options)`. */
export interface SysVMessageQueueOptions extends SysVOpenOptions {}

/** How long a send or receive may wait, and what may end it. */
export interface SysVMessageWaitOptions {
  /** Milliseconds to wait for room or a message; then it rejects with TimeoutError. @default undefined (forever) */
  timeout?: number | null;
  /** Ends the wait: the promise rejects with `signal.reason`, nothing sent or taken. */
  signal?: AbortSignal | null;
}

/** Options of `receive()`. */
export interface SysVReceiveOptions extends SysVMessageWaitOptions {
  /**
   * Which message, as msgrcv's msgtyp: 0 the first in the queue; a positive type the first of
   * that type; a negative -n the first of the lowest type <= n. @default 0
   */
  type?: number;
}

/** A received message. */
export interface SysVMessage {
  /** The type it was sent with (1 to 2**53-1; see the README for larger C types). */
  type: number;
  /** Its bytes, exactly as sent. */
  data: Buffer;
}

/** What msgctl(IPC_STAT) says of a queue. */
export interface SysVMessageQueueAttributes {
  /** Messages in the queue now (msg_qnum). */
  messages: number;
  /** Bytes in the queue now. */
  bytes: number;
  /** The most bytes the queue holds (msg_qbytes); a send waits while it is full. */
  maxBytes: number;
  /** Who sent and received last (0: nobody yet). */
  lastSendPid: number;
  lastReceivePid: number;
  mode: number;
}

const LARGEST_TYPE = Number.MAX_SAFE_INTEGER;

/** Opens an existing queue by id (how an IPC_PRIVATE one is reached in a child); never public. */
const openById = Symbol('openById');

function checkType(where: string, type: unknown, smallest: number): number {
  if (typeof type !== 'number') throw invalidType(`${where}: "type"`, 'an integer message type', type);
  if (!Number.isInteger(type) || type < smallest || type > LARGEST_TYPE) {
    throw outOfRange(`${where}: "type"`, `an integer from ${smallest} to ${LARGEST_TYPE}`, type);
  }
  return type;
}

const NO_LIMITS: { timeoutMs?: number; signal?: AbortSignal } = Object.freeze({});

// Checks the options of a send or receive. Called for every message: the strings that name a bad
// option are built only when one is given.
function checkWait(where: string, options: SysVMessageWaitOptions | undefined): { timeoutMs?: number; signal?: AbortSignal } {
  if (options === undefined || options === null) return NO_LIMITS;
  if (typeof options !== 'object' || Array.isArray(options)) checkOptionsObject(`${where}: "options"`, options); // throws
  const { timeout, signal } = options;
  if ((timeout === undefined || timeout === null) && (signal === undefined || signal === null)) return NO_LIMITS;
  return { timeoutMs: checkTimeout(`${where}: "timeout"`, timeout), signal: checkSignal(`${where}: "signal"`, signal) };
}

function bytesOf(where: string, data: unknown): ArrayBufferView {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return data;
  throw invalidType(`${where}: "data"`, 'a Buffer, a typed array or a string', data);
}

/** The largest message the kernel takes (msgmax), read once; a longer one asks the kernel again. */
let largestMessage: number | undefined;

/**
 * Where msgReceiveNow puts a message (the type at byte 0, the text from byte 8; see binding.ts):
 * one buffer for every queue of this thread, as large as the largest message, grown when a longer
 * one comes (msgmax raised since). Each received message is copied out of it into its own Buffer.
 */
let scratch: { bytes: Uint8Array; type: Float64Array } | undefined;

function scratchOf(textBytes: number): { bytes: Uint8Array; type: Float64Array } {
  const buffer = new ArrayBuffer(8 + textBytes);
  return { bytes: new Uint8Array(buffer), type: new Float64Array(buffer, 0, 1) };
}

/** One msgrcv with IPC_NOWAIT: the message that `type` selects, or null when none is there. */
function receiveNow(native: NativeBinding, id: number, type: number): SysVMessage | null {
  scratch ??= scratchOf(kernelLimit('msgmax') ?? 8192);
  for (;;) {
    const length = native.msgReceiveNow(id, type, scratch.bytes);
    if (length >= 0) {
      const data = Buffer.allocUnsafe(length);
      data.set(scratch.bytes.subarray(8, 8 + length));
      return { type: scratch.type[0] as number, data };
    }
    if (length === -1) return null;
    scratch = scratchOf(Math.min(2 * (scratch.bytes.byteLength - 8), 2 ** 31 - 1));
  }
}

/**
 * A System V message queue, named by a key that any process can know (see ftok).
 *
 * @example
 * const queue = new SysVMessageQueue(ftok('/tmp', 1), { create: true });
 * await queue.send(1, 'hello');
 * const { type, data } = await queue.receive({ timeout: 1000 }); // 1, <Buffer 68 65 6c 6c 6f>
 * queue.remove(); // the kernel keeps a queue until it is removed
 */
export class SysVMessageQueue {
  readonly #native: NativeBinding;
  readonly #key: number;
  readonly #id: number;
  #isRemoved = false;
  // The names of the two calls made per message, built once (errors and timeouts quote them).
  #whereSend: string | undefined;
  #whereReceive: string | undefined;

  constructor(key: number, options: SysVMessageQueueOptions = {}) {
    this.#native = requireNative('SysVMessageQueue');
    this.#key = checkKey('SysVMessageQueue', key);
    const { create, exclusive, mode } = checkOpenOptions('SysVMessageQueue', options);
    const adopted = (options as { [openById]?: number })[openById];
    try {
      this.#id = adopted ?? this.#native.msgGet(this.#key, create, exclusive, mode);
      if (adopted !== undefined) this.#native.msgStat(adopted); // it still exists
    } catch (error) {
      throw openError(error, `SysVMessageQueue(${keyText(this.#key)})`, 'message queue');
    }
  }

  /** The key (a signed key_t; IPC_PRIVATE for a private queue). */
  get key(): number {
    return this.#key;
  }

  /** The kernel's id of the queue (msqid), as ipcs shows it. */
  get id(): number {
    return this.#id;
  }

  #what(call: string): string {
    if (call === 'send') return (this.#whereSend ??= `SysVMessageQueue(${keyText(this.#key)}).send`);
    if (call === 'receive') return (this.#whereReceive ??= `SysVMessageQueue(${keyText(this.#key)}).receive`);
    return `SysVMessageQueue(${keyText(this.#key)}).${call}`;
  }

  #checkAlive(call: string): void {
    if (this.#isRemoved) throw removedError(this.#what(call));
  }

  /**
   * Sends `data` with message type `type` (an integer >= 1), waiting while the queue is full.
   * Strings are sent as UTF-8.
   */
  async send(type: number, data: Uint8Array | ArrayBufferView | string, options?: SysVMessageWaitOptions): Promise<void> {
    const where = this.#what('send');
    this.#checkAlive('send');
    checkType(where, type, 1);
    const bytes = bytesOf(where, data);
    const { timeoutMs, signal } = checkWait(where, options);
    this.#checkSize(where, bytes.byteLength);
    try {
      if (this.#native.msgSendNow(this.#id, type, bytes)) return;
      // Full: a message longer than the queue can ever hold would wait forever.
      const { maxBytes } = this.#native.msgStat(this.#id);
      if (bytes.byteLength > maxBytes) {
        throw outOfRange(`${where}: "data"`, `at most the queue's ${maxBytes} bytes (msg_qbytes)`, `${bytes.byteLength} bytes`);
      }
      if (timeoutMs === 0) throw new TimeoutError(`${where}: not done within 0 ms.`);
      await blockingCall<undefined>(where, { timeoutMs, signal }, (callback) => this.#native.msgSendAsync(this.#id, type, bytes, callback));
    } catch (error) {
      throw this.#gone(error, where);
    }
  }

  #gone(error: unknown, where: string): unknown {
    return goneError(error, where, 'message queue', () => this.#native.msgStat(this.#id));
  }

  #checkSize(where: string, byteLength: number): void {
    largestMessage ??= kernelLimit('msgmax');
    if (largestMessage === undefined || byteLength <= largestMessage) return;
    if (withinKernelLimit(byteLength, 'msgmax')) {
      largestMessage = kernelLimit('msgmax'); // raised since it was read
      return;
    }
    const largest = kernelLimit('msgmax');
    throw outOfRange(`${where}: "data"`, `at most ${largest} bytes (the kernel's msgmax, /proc/sys/kernel/msgmax)`, `${byteLength} bytes`);
  }

  /** Receives the first message that `type` selects (see SysVReceiveOptions), waiting for one. */
  async receive(options?: SysVReceiveOptions): Promise<SysVMessage> {
    const where = this.#what('receive');
    this.#checkAlive('receive');
    const { timeoutMs, signal } = checkWait(where, options);
    const type = options?.type === undefined ? 0 : checkType(where, options.type, -LARGEST_TYPE);
    try {
      const ready = receiveNow(this.#native, this.#id, type);
      if (ready) return ready;
      if (timeoutMs === 0) throw new TimeoutError(`${where}: not done within 0 ms.`);
      return await blockingCall<SysVMessageRecord>(where, { timeoutMs, signal }, (callback) => this.#native.msgReceiveAsync(this.#id, type, callback));
    } catch (error) {
      throw this.#gone(error, where);
    }
  }

  /** The queue's state now (msgctl IPC_STAT). */
  attributes(): SysVMessageQueueAttributes {
    this.#checkAlive('attributes');
    const { messages, bytes, maxBytes, lastSendPid, lastReceivePid, mode } = this.#native.msgStat(this.#id);
    return { messages, bytes, maxBytes, lastSendPid, lastReceivePid, mode };
  }

  /**
   * Removes the queue from the kernel (IPC_RMID): its messages are dropped, and waiting senders and
   * receivers, in any process, fail (here: an Error with code 'EIDRM'). Idempotent; one removed elsewhere is no error.
   */
  remove(): void {
    if (this.#isRemoved) return;
    removeOnce(() => this.#native.msgRemove(this.#id));
    this.#isRemoved = true;
  }

  toString(): string {
    return `SysVMessageQueue(key=${keyText(this.#key)}, id=${this.#id})`;
  }
}

registerHandleType<SysVMessageQueue>({
  tag: 'sysv-message-queue',
  matches: (value): value is SysVMessageQueue => value instanceof SysVMessageQueue,
  encode: (queue) => ({ key: queue.key, id: queue.id }),
  decode: (data) => {
    const { key, id } = checkSysVRecord(data, 'Received SysVMessageQueue');
    if (key !== IPC_PRIVATE) return new SysVMessageQueue(key);
    return new SysVMessageQueue(key, { [openById]: id } as SysVMessageQueueOptions);
  },
});
