// Queue and JoinableQueue: Python's multiprocessing.Queue and JoinableQueue, for any number of
// producers and consumers in any processes and threads. Items are structured clones written to a
// channel in shared memory (connection/channel.ts): put() has nothing left to flush once it
// resolves, so a process may exit right after putting, and its parent's join() never waits on
// a feeder thread (CPython's classic deadlock). A get() takes an item in one atomic step: a
// consumer killed while waiting, or even while taking, loses nothing that was not handed to it.

import { Empty, Full, InvalidStateError } from '../base/errors.js';
import { Channel, CHANNEL_WORDS, newChannelName } from '../connection/channel.js';
import { isChannelName } from '../memory/segment-names.js';
import type { TransportRecord } from '../connection/connection.js';
import { decodeMessage, encodeMessage, type Message } from '../connection/message.js';
import { HolderTable, holderTableWords, type InFlight, isInFlight } from '../connection/holders.js';
import { hold, letGo, noteInFlight } from '../connection/holdings.js';
import { requireNative } from '../native/loader.js';
import { allocateBlock, type BlockRecord, blockFromRecord, blockToRecord, refusedRecord, type SharedBlock } from '../memory/arena.js';
import { waitWord, wakeWord } from '../base/word-wait.js';
import { registerHandleType } from '../tasks/codec.js';
import { checkInteger, checkOptionsObject, checkTimeout, describeValue, invalidType } from '../base/validate.js';

/** Items put and not yet taken (what maxsize bounds; Python's semaphore). */
const ITEMS = CHANNEL_WORDS;
const SPACE_SEQ = CHANNEL_WORDS + 1;
const SPACE_WAITERS = CHANNEL_WORDS + 2;
/** JoinableQueue: items put and not yet marked done. */
const UNFINISHED = CHANNEL_WORDS + 3;
const TABLE_START = CHANNEL_WORDS + 4;
const TABLE_SLOTS = 256;
const QUEUE_WORDS = TABLE_START + holderTableWords(TABLE_SLOTS);

const ALL = 2 ** 31 - 1;
const SPINS = 20_000;

export interface QueueOptions {
  /** Wait for room (put) or for an item (get); false fails at once with Full / Empty. @default true */
  block?: boolean;
  /** Give up after this many ms with Full / Empty. @default wait as long as it takes */
  timeout?: number | null;
}

type QueueKind = 'queue' | 'joinable' | 'simple';

interface QueueRecord {
  readonly kind: QueueKind;
  readonly block: BlockRecord;
  readonly name: string;
  readonly maxsize: number;
  readonly copy: InFlight;
}

/** Set while a queue arriving from elsewhere is rebuilt: the constructor adopts it. */
let adopting: { block: SharedBlock; name: string } | null = null;

const WAIT_AS_LONG_AS_IT_TAKES = { block: true, timeoutMs: undefined } as const;

function checkQueueOptions(where: string, options: QueueOptions | undefined): { block: boolean; timeoutMs: number | undefined } {
  if (options === undefined) return WAIT_AS_LONG_AS_IT_TAKES; // the common case, checked for nothing
  checkOptionsObject(`${where}: "options"`, options);
  const block = options?.block ?? true;
  if (typeof block !== 'boolean') throw invalidType(`${where}: "block"`, 'a boolean', block);
  return { block, timeoutMs: block ? checkTimeout(`${where}: "timeout"`, options?.timeout) : 0 };
}

function deadlineOf(timeoutMs: number | undefined): number {
  return timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeoutMs;
}

function remainingUntil(deadline: number): number | undefined {
  return deadline === Number.POSITIVE_INFINITY ? undefined : Math.max(0, deadline - performance.now());
}

/** What Queue, JoinableQueue and SimpleQueue share: the channel, the counts, the holders. */
abstract class SharedQueue<T> {
  readonly #block: SharedBlock;
  readonly #name: string;
  readonly #channel: Channel;
  readonly #holders: HolderTable;
  readonly #maxsize: number;
  /** "Queue.get" and the like, for errors (built once: get and put are hot). */
  readonly #where: { put: string; putNowait: string; get: string; getNowait: string };
  #isClosed = false;

  protected constructor(maxsize: number) {
    const native = requireNative(this.constructor.name);
    const adopted = adopting;
    adopting = null;
    this.#block = adopted?.block ?? allocateBlock(QUEUE_WORDS);
    this.#name = adopted?.name ?? newChannelName(native);
    this.#maxsize = maxsize;
    const name = new.target.name;
    this.#where = { put: `${name}.put`, putNowait: `${name}.putNowait`, get: `${name}.get`, getNowait: `${name}.getNowait` };
    this.#channel = new Channel(native, this.#block, 0, this.#name);
    this.#holders = new HolderTable(this.#block.words, { start: TABLE_START, slots: TABLE_SLOTS });
    hold(
      this.#name,
      () => this.#holders.register(false),
      () => this.#release(),
    );
  }

  protected abstract get kind(): QueueKind;

  /** The maximum number of items (0: unbounded). */
  get maxsize(): number {
    return this.#maxsize;
  }

  /** Items put and not yet taken (approximate while others put and get, as in Python). */
  qsize(): number {
    return Atomics.load(this.#block.words, ITEMS);
  }

  /** True when no item is there to take (approximate while others put and get). */
  empty(): boolean {
    return !this.#channel.hasRecord();
  }

  /** True when a bounded queue holds maxsize items. */
  full(): boolean {
    return this.#maxsize > 0 && this.qsize() >= this.#maxsize;
  }

  /** Puts an item, waiting for room in a bounded queue; rejects with Full when it cannot. */
  async put(obj: T, options?: QueueOptions): Promise<void> {
    const where = this.#where.put;
    const { block, timeoutMs } = checkQueueOptions(where, options);
    const message = this.#encode(where, obj);
    if (!this.#reserve()) {
      if (!block) throw new Full(`${where}: the queue is full (maxsize ${this.#maxsize}).`);
      await this.#waitForRoom(where, deadlineOf(timeoutMs));
    }
    this.#write(message);
  }

  /** Puts an item now; throws Full when a bounded queue is full. */
  putNowait(obj: T): void {
    const where = this.#where.putNowait;
    const message = this.#encode(where, obj);
    if (!this.#reserve()) throw new Full(`${where}: the queue is full (maxsize ${this.#maxsize}).`);
    this.#write(message);
  }

  /** Takes the next item, waiting for one; rejects with Empty when `block: false` or `timeout` finds none. */
  async get(options?: QueueOptions): Promise<T> {
    const where = this.#where.get;
    const { block, timeoutMs } = checkQueueOptions(where, options);
    this.#checkOpen(where);
    const deadline = deadlineOf(timeoutMs);
    for (let round = 0; ; round++) {
      const record = this.#channel.tryRead();
      if (record) return this.#taken(record);
      const remaining = remainingUntil(deadline);
      if (!block || remaining === 0) throw new Empty(`${where}: the queue is empty${block ? ` (waited ${timeoutMs} ms)` : ''}.`);
      await this.#channel.waitForRecord(remaining, round === 0 ? SPINS : 0);
      this.#checkOpen(where);
    }
  }

  /** Takes the next item now; throws Empty when there is none. */
  getNowait(): T {
    this.#checkOpen(this.#where.getNowait);
    const record = this.#channel.tryRead();
    if (!record) throw new Empty(`${this.#where.getNowait}: the queue is empty.`);
    return this.#taken(record);
  }

  /** This process will put and get no more through this object (others keep theirs). Idempotent. */
  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    letGo(this.#name);
  }

  /** Waits until what this process put is flushed: at once here, puts write straight to shared memory. */
  async joinThread(): Promise<void> {
    if (!this.#isClosed) throw new InvalidStateError(`${this.constructor.name}.joinThread: call close() first, as in Python.`);
  }

  /** Python's cancel_join_thread(): nothing to cancel here, puts are never buffered. */
  cancelJoinThread(): void {}

  toString(): string {
    return `<${this.constructor.name} size=${this.qsize()}${this.#maxsize > 0 ? ` maxsize=${this.#maxsize}` : ''}${this.#isClosed ? ' closed' : ''}>`;
  }

  /** @internal The wire form: a handle to the same queue; the copy counts as a holder until received. */
  toRecord(where: string): QueueRecord {
    const copy = this.#holders.markInFlight();
    noteInFlight(() => this.#holders.clearInFlight(copy));
    return { kind: this.kind, block: blockToRecord(this.#block, 'process', where), name: this.#name, maxsize: this.#maxsize, copy };
  }

  /** @internal */
  received(copy: InFlight): void {
    this.#holders.clearInFlight(copy);
  }

  protected get sharedWords(): Int32Array {
    return this.#block.words;
  }

  protected get sharedBlock(): SharedBlock {
    return this.#block;
  }

  /** Called once an item is in the queue (JoinableQueue counts it as unfinished first). */
  protected beforeWrite(): void {}

  #checkOpen(where: string): void {
    if (this.#isClosed) throw new InvalidStateError(`${where}: the queue was closed in this process.`);
  }

  #encode(where: string, obj: T): Message {
    this.#checkOpen(where);
    return encodeMessage(obj, `${where}: obj`);
  }

  /** Counts one more item if there is room. */
  #reserve(): boolean {
    const words = this.#block.words;
    if (this.#maxsize === 0) {
      Atomics.add(words, ITEMS, 1);
      return true;
    }
    for (;;) {
      const items = Atomics.load(words, ITEMS);
      if (items >= this.#maxsize) return false;
      if (Atomics.compareExchange(words, ITEMS, items, items + 1) === items) return true;
    }
  }

  async #waitForRoom(where: string, deadline: number): Promise<void> {
    const words = this.#block.words;
    Atomics.add(words, SPACE_WAITERS, 1);
    try {
      for (;;) {
        const sequence = Atomics.load(words, SPACE_SEQ);
        if (this.#reserve()) return;
        const remaining = remainingUntil(deadline);
        if (remaining === 0) throw new Full(`${where}: the queue stayed full (maxsize ${this.#maxsize}).`);
        await waitWord(this.#block, SPACE_SEQ, sequence, remaining);
        this.#checkOpen(where);
      }
    } finally {
      Atomics.sub(words, SPACE_WAITERS, 1);
    }
  }

  #write(message: Message): void {
    this.beforeWrite();
    this.#channel.write(message.kind, message.parts);
  }

  #taken(record: TransportRecord): T {
    const words = this.#block.words;
    Atomics.sub(words, ITEMS, 1);
    Atomics.add(words, SPACE_SEQ, 1);
    if (Atomics.load(words, SPACE_WAITERS) > 0) wakeWord(this.#block, SPACE_SEQ, ALL);
    return decodeMessage(record.kind, record.bytes, this.#where.get) as T;
  }

  /** The last copy here closed or the thread exits; the last holder anywhere frees the memory. */
  #release(): void {
    this.#holders.unregister();
    if (!this.#holders.hasLiveHolder()) this.#channel.destroy();
  }
}

function checkMaxsize(where: string, maxsize: unknown): number {
  if (maxsize === undefined || maxsize === null) return 0;
  const value = checkInteger(where, maxsize, Number.MIN_SAFE_INTEGER);
  return Math.max(0, value); // Python: maxsize <= 0 means unbounded
}

/**
 * A FIFO queue between processes and threads (pass it to them as an argument).
 *
 * @example
 * const queue = new Queue<number>();
 * await queue.put(1);          // in a child: await queue.get()
 */
export class Queue<T = unknown> extends SharedQueue<T> {
  constructor(maxsize = 0) {
    super(checkMaxsize('Queue: "maxsize"', maxsize));
  }

  protected get kind(): QueueKind {
    return 'queue';
  }
}

/** A Queue that also counts unfinished items: taskDone() after each get(), join() until all are done. */
export class JoinableQueue<T = unknown> extends SharedQueue<T> {
  constructor(maxsize = 0) {
    super(checkMaxsize('JoinableQueue: "maxsize"', maxsize));
  }

  protected get kind(): QueueKind {
    return 'joinable';
  }

  protected override beforeWrite(): void {
    Atomics.add(this.sharedWords, UNFINISHED, 1);
  }

  /** Marks one item got earlier as processed; throws when called more times than items were put. */
  taskDone(): void {
    const words = this.sharedWords;
    for (;;) {
      const unfinished = Atomics.load(words, UNFINISHED);
      if (unfinished <= 0) throw new InvalidStateError('JoinableQueue.taskDone: called more times than there were items put.');
      if (Atomics.compareExchange(words, UNFINISHED, unfinished, unfinished - 1) !== unfinished) continue;
      if (unfinished === 1) wakeWord(this.sharedBlock, UNFINISHED, ALL);
      return;
    }
  }

  /** Waits until every item put has been marked done with taskDone(). */
  async join(): Promise<void> {
    for (;;) {
      const unfinished = Atomics.load(this.sharedWords, UNFINISHED);
      if (unfinished === 0) return;
      await waitWord(this.sharedBlock, UNFINISHED, unfinished, undefined);
    }
  }
}

/** Python's SimpleQueue: unbounded, with put, get, empty and close only. */
export class SimpleQueue<T = unknown> extends SharedQueue<T> {
  constructor() {
    super(0);
  }

  protected get kind(): QueueKind {
    return 'simple';
  }
}

const constructors = { queue: Queue, joinable: JoinableQueue, simple: SimpleQueue } as const;
const RECEIVED = 'Received queue';

/** The plain fields of a received queue, checked before anything is opened (the block is checked by arena.ts). */
function checkQueueRecord(data: unknown): QueueRecord {
  const record = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  if (!Object.hasOwn(constructors, record.kind as string)) throw refusedRecord(RECEIVED, `"kind" must be "queue", "joinable" or "simple", received ${describeValue(record.kind)}`);
  if (!isChannelName(record.name)) throw refusedRecord(RECEIVED, `"name" must be a queue's name ("mpc-" and 16 hex digits), received ${describeValue(record.name)}`);
  const maxsize = record.maxsize;
  if (typeof maxsize !== 'number' || !Number.isInteger(maxsize) || maxsize < 0 || maxsize > 2 ** 31 - 1) {
    throw refusedRecord(RECEIVED, `"maxsize" must be an integer from 0 to 2**31-1, received ${describeValue(maxsize)}`);
  }
  if (!isInFlight(record.copy)) throw refusedRecord(RECEIVED, `"copy" must be { pid, token } integers, received ${describeValue(record.copy)}`);
  return record as unknown as QueueRecord;
}

registerHandleType<SharedQueue<unknown>>({
  tag: 'queue',
  matches: (value): value is SharedQueue<unknown> => value instanceof SharedQueue,
  encode: (queue, _destination, where) => queue.toRecord(where),
  decode: (data) => {
    const record = checkQueueRecord(data);
    adopting = { block: blockFromRecord(record.block, RECEIVED, QUEUE_WORDS * 4), name: record.name };
    try {
      const queue = record.kind === 'simple' ? new SimpleQueue() : new constructors[record.kind](record.maxsize);
      queue.received(record.copy);
      return queue;
    } finally {
      adopting = null;
    }
  },
});
