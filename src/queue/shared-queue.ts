// What Queue, JoinableQueue and SimpleQueue share (queue.ts): Python's multiprocessing queues,
// for any number of producers and consumers in any processes and threads. Items are structured clones written to a
// channel in shared memory (connection/channel.ts): put() has nothing left to flush once it
// resolves, so a process may exit right after putting, and its parent's join() never waits on
// a feeder thread (CPython's classic deadlock). A get() takes an item in one atomic step: a
// consumer killed while waiting, or even while taking, loses nothing that was not handed to it.

import { type WaitOptions, checkSignal, throwIfAborted } from '../base/abort.js';
import { Deadline } from '../base/deadline.js';
import { Empty, Full, InvalidStateError } from '../base/errors.js';
import { holdEventLoop } from '../base/keep-alive.js';
import { Channel, CHANNEL_WORDS, newChannelName } from '../connection/channel.js';
import type { TransportRecord } from '../connection/connection.js';
import { decodeMessage, encodeMessage, type Message } from '../connection/message.js';
import { HolderTable, holderTableWords, type InFlight } from '../connection/holders.js';
import { hold, letGo, noteInFlight } from '../connection/holdings.js';
import { requireNative } from '../native/loader.js';
import { allocateBlock, type BlockRecord, blockToRecord, type SharedBlock } from '../memory/arena.js';
import { waitWord, wakeWord } from '../base/word-wait.js';
import { checkOptionsObject, checkTimeout, invalidType } from '../base/validate.js';

/** Items put and not yet taken (what maxsize bounds; Python's semaphore). */
const ITEMS = CHANNEL_WORDS;
const SPACE_SEQ = CHANNEL_WORDS + 1;
const SPACE_WAITERS = CHANNEL_WORDS + 2;
/** JoinableQueue: items put and not yet marked done. */
export const UNFINISHED = CHANNEL_WORDS + 3;
/** JoinableQueue: bumped when UNFINISHED reaches 0 (and by an aborted join), what join() parks on. */
export const ALL_DONE_SEQ = CHANNEL_WORDS + 4;
const TABLE_START = CHANNEL_WORDS + 5;
const TABLE_SLOTS = 256;
export const QUEUE_WORDS = TABLE_START + holderTableWords(TABLE_SLOTS);

export const ALL = 2 ** 31 - 1;
const SPINS = 20_000;

export interface QueueOptions extends WaitOptions {
  /** Wait for room (put) or for an item (get); false fails at once with Full / Empty. @default true */
  block?: boolean;
  /** Give up after this many ms with Full / Empty. @default wait as long as it takes */
  timeout?: number | null;
}

export type QueueKind = 'queue' | 'joinable' | 'simple';

export interface QueueRecord {
  readonly kind: QueueKind;
  readonly block: BlockRecord;
  readonly name: string;
  readonly maxsize: number;
  readonly copy: InFlight;
}

/** A queue that already exists elsewhere, for the constructor to open instead of creating one. */
export interface Adoption {
  readonly block: SharedBlock;
  readonly name: string;
}

interface CheckedQueueOptions {
  readonly block: boolean;
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
}

const WAIT_AS_LONG_AS_IT_TAKES: CheckedQueueOptions = { block: true, timeoutMs: undefined, signal: undefined };

function checkQueueOptions(where: string, options: QueueOptions | undefined): CheckedQueueOptions {
  if (options === undefined) return WAIT_AS_LONG_AS_IT_TAKES; // the common case, checked for nothing
  checkOptionsObject(`${where}: "options"`, options);
  const block = options?.block ?? true;
  if (typeof block !== 'boolean') throw invalidType(`${where}: "block"`, 'a boolean', block);
  const signal = checkSignal(`${where}: "signal"`, options?.signal);
  return { block, timeoutMs: block ? checkTimeout(`${where}: "timeout"`, options?.timeout) : 0, signal };
}

/**
 * Runs a wait that parks on a futex, with the event loop held open. Aborting `signal` calls
 * `wake`, which bumps and wakes the word parked on, so the wait returns at once and its loop
 * sees the abort (a futex wait cannot be cancelled, and left parked it would hold the loop).
 */
export async function parkedWait<R>(signal: AbortSignal | undefined, wake: () => void, wait: () => Promise<R>): Promise<R> {
  const release = holdEventLoop();
  signal?.addEventListener('abort', wake, { once: true });
  try {
    return await wait();
  } finally {
    signal?.removeEventListener('abort', wake);
    release();
  }
}

/** Bumps a sequence word and wakes everyone parked on it: they look again. */
export function bumpAndWake(block: SharedBlock, index: number): void {
  Atomics.add(block.words, index, 1);
  wakeWord(block, index, ALL);
}

/** What Queue, JoinableQueue and SimpleQueue share: the channel, the counts, the holders. */
export abstract class SharedQueue<T> {
  readonly #block: SharedBlock;
  readonly #name: string;
  readonly #channel: Channel;
  readonly #holders: HolderTable;
  readonly #maxsize: number;
  /** "Queue.get" and the like, for errors (built once: get and put are hot). */
  readonly #where: { put: string; putNowait: string; get: string; getNowait: string };
  #isClosed = false;

  /** A new queue, or (`adopted`) one received from elsewhere (rebuilt by queue.ts's queueFromRecord). */
  protected constructor(maxsize: number, adopted: Adoption | undefined) {
    const native = requireNative(new.target.name);
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

  /**
   * Puts an item, waiting for room in a bounded queue; rejects with Full when it cannot.
   * Aborting `signal` rejects with its reason, and the item is not put.
   */
  async put(obj: T, options?: QueueOptions): Promise<void> {
    const where = this.#where.put;
    const { block, timeoutMs, signal } = checkQueueOptions(where, options);
    const message = this.#encode(where, obj);
    throwIfAborted(signal);
    if (!this.#reserve()) {
      if (!block) throw new Full(`${where}: the queue is full (maxsize ${this.#maxsize}).`);
      await parkedWait(signal, () => bumpAndWake(this.#block, SPACE_SEQ), () => this.#waitForRoom(where, Deadline.after(timeoutMs), signal));
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

  /**
   * Takes the next item, waiting for one; rejects with Empty when `block: false` or `timeout`
   * finds none. Aborting `signal` rejects with its reason and takes nothing: an item that
   * arrives afterwards stays in the queue for the next get.
   */
  async get(options?: QueueOptions): Promise<T> {
    const where = this.#where.get;
    const { block, timeoutMs, signal } = checkQueueOptions(where, options);
    this.#checkOpen(where);
    throwIfAborted(signal);
    const record = this.#channel.tryRead();
    if (record) return this.#taken(record);
    if (!block || timeoutMs === 0) throw new Empty(`${where}: the queue is empty${block ? ` (waited ${timeoutMs} ms)` : ''}.`);
    return parkedWait(signal, () => this.#channel.wakeReaders(), () => this.#waitForItem(where, timeoutMs, signal));
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

  /** @internal Blocks this thread until an item may be there, `timeoutMs` at most (Channel.waitForRecordSync); true when one is. */
  waitForItemSync(timeoutMs: number): boolean {
    return this.#channel.waitForRecordSync(timeoutMs);
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

  /** Checks, parks, checks again: the signal is looked at before every take, so an aborted get takes nothing. */
  async #waitForItem(where: string, timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<T> {
    const deadline = Deadline.after(timeoutMs);
    for (let round = 0; ; round++) {
      await this.#channel.waitForRecord(deadline.remaining(), round === 0 ? SPINS : 0);
      this.#checkOpen(where);
      throwIfAborted(signal);
      const record = this.#channel.tryRead();
      if (record) return this.#taken(record);
      if (deadline.passed()) throw new Empty(`${where}: the queue is empty (waited ${timeoutMs} ms).`);
    }
  }

  async #waitForRoom(where: string, deadline: Deadline, signal: AbortSignal | undefined): Promise<void> {
    const words = this.#block.words;
    Atomics.add(words, SPACE_WAITERS, 1);
    try {
      for (;;) {
        const sequence = Atomics.load(words, SPACE_SEQ);
        throwIfAborted(signal);
        if (this.#reserve()) return;
        if (deadline.passed()) throw new Full(`${where}: the queue stayed full (maxsize ${this.#maxsize}).`);
        await waitWord(this.#block, SPACE_SEQ, sequence, deadline.remaining());
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

