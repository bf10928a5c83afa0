// PosixMessageQueue: a POSIX message queue (mq_overview(7)), Python's posix_ipc.MessageQueue.
// Any process that knows the name ("/jobs") can open it: messages of bytes with a priority, the
// highest priority first, oldest first within one. The queue descriptor is non-blocking and
// watched by the event loop (descriptor-waits.ts), so a send to a full queue or a receive from
// an empty one waits without blocking anything. The kernel keeps the queue until unlink().

import { readFileSync } from 'node:fs';
import { checkSignal } from '../base/abort.js';
import { InvalidStateError } from '../base/errors.js';
import { checkInteger, checkOptionsObject, checkTimeout, describeValue, invalidType, outOfRange } from '../base/validate.js';
import type { NativeBinding, PosixQueueAttributes } from '../native/binding.js';
import { requireNative } from '../native/loader.js';
import { registerHandleType } from '../tasks/codec.js';
import { refusedRecord } from '../memory/arena.js';
import { DescriptorWaits, type WaitLimits } from './descriptor-waits.js';
import { checkPosixName, posixNameProblem, QUEUE_NAME_MAX_BYTES } from './posix-names.js';
import { checkAccess, checkCreation, type Creation } from './posix-open-options.js';
import { explainOpenError } from './posix-open-errors.js';
import { errnoCode, withHint } from './system-error.js';

export type { PosixQueueAttributes } from '../native/binding.js';

export interface PosixMessageQueueOptions {
  /** Create the queue if it does not exist (O_CREAT); without it, the queue must exist. @default false */
  create?: boolean;
  /** With `create`: fail with EEXIST if the queue exists already (O_EXCL). @default false */
  exclusive?: boolean;
  /** Permissions of a queue created here (then filtered by the umask, as open(2) does). @default 0o600 */
  mode?: number;
  /** With `create`: how many messages a new queue holds. @default /proc/sys/fs/mqueue/msg_default (10) */
  maxMessages?: number;
  /** With `create`: the largest message of a new queue, in bytes. @default /proc/sys/fs/mqueue/msgsize_default (8192) */
  messageSize?: number;
  /** Open for receiving. @default true */
  read?: boolean;
  /** Open for sending. @default true */
  write?: boolean;
}

export interface PosixQueueSendOptions {
  /** 0 (lowest, the default) to 32767: receivers get the highest priority first. */
  priority?: number;
  /** Milliseconds to wait while the queue is full; then TimeoutError, and nothing was sent. */
  timeout?: number | null;
  signal?: AbortSignal | null;
}

export interface PosixQueueReceiveOptions {
  /** Milliseconds to wait while the queue is empty; then TimeoutError, and nothing was taken. */
  timeout?: number | null;
  signal?: AbortSignal | null;
}

export interface PosixQueueMessage {
  data: Buffer;
  priority: number;
}

/** What mqReceive's result is split by: length * PRIORITY_LIMIT + priority. */
const PRIORITY_LIMIT = 65536;

/** A message on its way out, as one try of mq_send needs it. */
interface OutgoingMessage {
  fd: number;
  bytes: ArrayBufferView;
  priority: number;
}

/** What the handle record of a queue holds: enough to open it again, never to create it. */
interface QueueRecord {
  name: string;
  read: boolean;
  write: boolean;
}

/** The system's default size of a new queue, for the half of it the caller did not give. */
function systemDefault(file: 'msg_default' | 'msgsize_default', fallback: number): number {
  try {
    const value = Number.parseInt(readFileSync(`/proc/sys/fs/mqueue/${file}`, 'utf8'), 10);
    return Number.isInteger(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

function checkSize(where: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const size = checkInteger(where, value, 1);
  if (size > 2 ** 31 - 1) throw outOfRange(where, 'an integer from 1 to 2147483647', value);
  return size;
}

function toBytes(data: unknown): ArrayBufferView {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return data;
  throw invalidType('PosixMessageQueue.send: "data"', 'a Buffer, a Uint8Array (any ArrayBufferView) or a string', data);
}

/** What closing a queue needs, without the queue itself (so a forgotten queue can be collected). */
interface OpenQueue {
  readonly native: NativeBinding;
  readonly fd: number;
  readonly waits: DescriptorWaits;
}

function closeQueue(open: OpenQueue, name: string): void {
  open.waits.close(() => new InvalidStateError(`PosixMessageQueue(${name}): the queue was closed while this call waited.`));
  open.native.mqClose(open.fd);
}

// A queue dropped without close() gives its descriptor back when collected, as Python's
// posix_ipc does on deallocation. A pending send or receive keeps its queue reachable.
const forgotten = new FinalizationRegistry<OpenQueue & { name: string }>((open) => closeQueue(open, open.name));

/**
 * A POSIX message queue, by name, between any processes (other programs, Python's ctypes or
 * posix_ipc, the shell's own tools).
 *
 * @example
 * const queue = new PosixMessageQueue('/jobs', { create: true });
 * await queue.send('hello', { priority: 1 });
 * const { data, priority } = await queue.receive({ timeout: 1000 }); // in any process
 * queue.close();
 * queue.unlink(); // the kernel keeps the queue until then
 */
export class PosixMessageQueue {
  readonly #native: NativeBinding;
  readonly #name: string;
  readonly #canRead: boolean;
  readonly #canWrite: boolean;
  readonly #messageSize: number;
  readonly #priorityMax: number;
  readonly #waits: DescriptorWaits;
  #fd: number | null;
  /** Where mq_receive writes a message (the queue's messageSize, made at the first receive). */
  #receiveBuffer: Buffer | null = null;
  // Made once, not per call: a send or receive done at once then allocates only its result.
  readonly #sendLabel: string;
  readonly #receiveLabel: string;
  readonly #trySend = (message: OutgoingMessage): undefined | null => (this.#native.mqSend(message.fd, message.bytes, message.priority) ? undefined : null);
  readonly #tryReceive = (fd: number): PosixQueueMessage | null => this.#receiveNow(fd);

  constructor(name: string, options: PosixMessageQueueOptions = {}) {
    this.#native = requireNative('PosixMessageQueue');
    this.#name = checkPosixName('PosixMessageQueue', name, QUEUE_NAME_MAX_BYTES);
    this.#sendLabel = `PosixMessageQueue.send(${this.#name})`;
    this.#receiveLabel = `PosixMessageQueue.receive(${this.#name})`;
    checkOptionsObject('PosixMessageQueue: "options"', options);
    const creation = checkCreation('PosixMessageQueue', options, ['maxMessages', 'messageSize']);
    const { read, write, access } = checkAccess('PosixMessageQueue', options);
    this.#canRead = read;
    this.#canWrite = write;
    const [maxMessages, messageSize] = this.#sizes(options, creation);
    try {
      this.#fd = this.#native.mqOpen(this.#name, creation.create, creation.exclusive, access, creation.mode, maxMessages, messageSize);
    } catch (error) {
      throw this.#explainOpen(error, maxMessages, messageSize);
    }
    try {
      this.#messageSize = this.#native.mqGetAttributes(this.#fd).messageSize;
    } catch (error) {
      this.#native.mqClose(this.#fd);
      throw error;
    }
    this.#priorityMax = this.#native.mqPriorityMax();
    this.#waits = new DescriptorWaits(this.#native, this.#fd);
    forgotten.register(this, { native: this.#native, fd: this.#fd, waits: this.#waits, name: this.#name }, this);
  }

  /** The sizes of a queue created here: both given, the other one filled with the system's default, or none (0, 0). */
  #sizes(options: PosixMessageQueueOptions, creation: Creation): [number, number] {
    const maxMessages = checkSize('PosixMessageQueue: "maxMessages"', options.maxMessages);
    const messageSize = checkSize('PosixMessageQueue: "messageSize"', options.messageSize);
    if (!creation.create || (maxMessages === undefined && messageSize === undefined)) return [0, 0];
    return [maxMessages ?? systemDefault('msg_default', 10), messageSize ?? systemDefault('msgsize_default', 8192)];
  }

  #explainOpen(error: unknown, maxMessages: number, messageSize: number): Error {
    const tooMany = 'Too many queues or queue bytes for this user (RLIMIT_MSGQUEUE, /proc/sys/fs/mqueue/queues_max); unlink queues no longer needed.';
    return explainOpenError('PosixMessageQueue', 'queue', this.#name, error, {
      EINVAL: maxMessages === 0
        ? 'The name was refused.'
        : `maxMessages ${maxMessages} or messageSize ${messageSize} is beyond the system's limits (/proc/sys/fs/mqueue/msg_max, msgsize_max).`,
      EMFILE: tooMany,
      ENOSPC: tooMany,
    });
  }

  /** The queue's name ("/jobs"). */
  get name(): string {
    return this.#name;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#fd === null;
  }

  #openFd(call: string): number {
    if (this.#fd === null) throw new InvalidStateError(`PosixMessageQueue.${call}(${this.#name}): the queue was closed; open it again with new PosixMessageQueue("${this.#name}").`);
    return this.#fd;
  }

  /**
   * Sends `data` (bytes, or a string as UTF-8) with a priority. While the queue is full it waits
   * (without blocking the event loop) until there is room, the timeout passes (TimeoutError,
   * nothing sent) or the signal aborts.
   */
  send(data: string | ArrayBufferView, options: PosixQueueSendOptions = {}): Promise<void> {
    // Not an async function: a send done at once settles one promise, and a wait returns the
    // wait's own; a bad argument still rejects rather than throws.
    try {
      const fd = this.#openFd('send');
      const { bytes, priority, limits } = this.#checkSend(data, options ?? {});
      return this.#waits.run('writable', this.#sendLabel, limits, this.#trySend, { fd, bytes, priority });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #checkSend(data: string | ArrayBufferView, options: PosixQueueSendOptions): { bytes: ArrayBufferView; priority: number; limits: WaitLimits } {
    checkOptionsObject('PosixMessageQueue.send: "options"', options);
    if (!this.#canWrite) throw new InvalidStateError(`PosixMessageQueue.send(${this.#name}): the queue was opened with { write: false }.`);
    const bytes = toBytes(data);
    if (bytes.byteLength > this.#messageSize) {
      throw outOfRange('PosixMessageQueue.send: "data"', `at most ${this.#messageSize} bytes (the queue's messageSize)`, `${bytes.byteLength} bytes`, 'Split it, or create the queue with a larger messageSize.');
    }
    const priority = options.priority ?? 0;
    if (typeof priority !== 'number') throw invalidType('PosixMessageQueue.send: "priority"', 'an integer', priority);
    if (!Number.isInteger(priority) || priority < 0 || priority >= this.#priorityMax) {
      throw outOfRange('PosixMessageQueue.send: "priority"', `an integer from 0 to ${this.#priorityMax - 1}`, priority);
    }
    const timeoutMs = checkTimeout('PosixMessageQueue.send: "timeout"', options.timeout);
    const signal = checkSignal('PosixMessageQueue.send: "signal"', options.signal);
    return { bytes, priority, limits: { timeoutMs, signal } };
  }

  /**
   * Takes the oldest message of the highest priority. While the queue is empty it waits (without
   * blocking the event loop) until a message comes, the timeout passes (TimeoutError, nothing
   * taken) or the signal aborts.
   */
  receive(options: PosixQueueReceiveOptions = {}): Promise<PosixQueueMessage> {
    try {
      const fd = this.#openFd('receive');
      checkOptionsObject('PosixMessageQueue.receive: "options"', options);
      options ??= {}; // null, as undefined: the defaults
      if (!this.#canRead) throw new InvalidStateError(`PosixMessageQueue.receive(${this.#name}): the queue was opened with { read: false }.`);
      const timeoutMs = checkTimeout('PosixMessageQueue.receive: "timeout"', options.timeout);
      const signal = checkSignal('PosixMessageQueue.receive: "signal"', options.signal);
      return this.#waits.run('readable', this.#receiveLabel, { timeoutMs, signal }, this.#tryReceive, fd);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** One message taken now, or null when the queue is empty. */
  #receiveNow(fd: number): PosixQueueMessage | null {
    this.#receiveBuffer ??= Buffer.allocUnsafeSlow(this.#messageSize);
    const received = this.#native.mqReceive(fd, this.#receiveBuffer);
    if (received < 0) return null;
    const priority = received % PRIORITY_LIMIT;
    const length = (received - priority) / PRIORITY_LIMIT;
    // A buffer of its own for each message (small ones come from Node's pool, as a read's do).
    const data = Buffer.allocUnsafe(length);
    this.#receiveBuffer.copy(data, 0, 0, length);
    return { data, priority };
  }

  /** The queue's size limits and how many messages it holds now (mq_getattr). */
  attributes(): PosixQueueAttributes {
    return this.#native.mqGetAttributes(this.#openFd('attributes'));
  }

  /**
   * Closes this process's descriptor (idempotent); sends and receives still waiting reject with
   * InvalidStateError. The queue and its messages stay until unlink().
   */
  close(): void {
    if (this.#fd === null) return;
    const fd = this.#fd;
    this.#fd = null;
    forgotten.unregister(this);
    closeQueue({ native: this.#native, fd, waits: this.#waits }, this.#name);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Removes the queue's name (idempotent; a queue already gone is no error): no process can open
   * it any more, and the kernel frees it once every descriptor is closed. Works after close().
   */
  unlink(): void {
    PosixMessageQueue.unlink(this.#name);
  }

  /** Removes the queue named `name`: true if it existed, false if there was none. */
  static unlink(name: string): boolean {
    const native = requireNative('PosixMessageQueue.unlink');
    checkPosixName('PosixMessageQueue.unlink', name, QUEUE_NAME_MAX_BYTES);
    try {
      native.mqUnlink(name);
      return true;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return false;
      throw withHint('PosixMessageQueue.unlink', error, 'The queue was not removed.');
    }
  }

  /** Options used to open this queue again elsewhere. */
  get #record(): QueueRecord {
    return { name: this.#name, read: this.#canRead, write: this.#canWrite };
  }

  static {
    registerHandleType<PosixMessageQueue>({
      tag: 'posix-message-queue',
      matches: (value): value is PosixMessageQueue => value instanceof PosixMessageQueue,
      encode: (queue) => queue.#record,
      decode: (record) => {
        const { name, read, write } = checkRecord(record);
        return new PosixMessageQueue(name, { read, write });
      },
    });
  }

  toString(): string {
    return `PosixMessageQueue('${this.#name}'${this.closed ? ', closed' : ''})`;
  }
}

/** A received handle record, from another process of the tree: checked field by field. */
function checkRecord(record: unknown): QueueRecord {
  const refuse = (why: string) => refusedRecord('Received PosixMessageQueue', why);
  if (typeof record !== 'object' || record === null) throw refuse(`its record must be an object, received ${describeValue(record)}`);
  const { name, read, write } = record as Record<string, unknown>;
  if (typeof name !== 'string' || posixNameProblem(name, QUEUE_NAME_MAX_BYTES) !== null) throw refuse(`its name must be a queue name such as "/jobs", received ${describeValue(name)}`);
  if (typeof read !== 'boolean' || typeof write !== 'boolean' || (!read && !write)) throw refuse('its read and write flags must be booleans, one of them true');
  return { name, read, write };
}
