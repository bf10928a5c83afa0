// Queue, JoinableQueue and SimpleQueue: Python's multiprocessing queues (shared-queue.ts holds
// what they share). A JoinableQueue is a Queue, as in Python; a SimpleQueue is not. A queue
// that travels to another process or thread is rebuilt there by queueFromRecord, from a record
// checked field by field.

import { type WaitOptions, signalOption, throwIfAborted } from '../base/abort.js';
import { InvalidStateError } from '../base/errors.js';
import { checkInteger, describeValue } from '../base/validate.js';
import { isInFlight } from '../connection/holders.js';
import { blockFromRecord, refusedRecord } from '../memory/arena.js';
import { isChannelName } from '../memory/segment-names.js';
import { waitWord } from '../base/word-wait.js';
import { registerHandleType } from '../tasks/codec.js';
import { ALL_DONE_SEQ, type Adoption, bumpAndWake, parkedWait, QUEUE_WORDS, type QueueKind, type QueueRecord, SharedQueue, UNFINISHED } from './shared-queue.js';

export type { QueueOptions } from './shared-queue.js';

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
  constructor(maxsize?: number);
  /** @internal A queue received from elsewhere (queueFromRecord). */
  constructor(maxsize: number, adopted: Adoption);
  constructor(maxsize = 0, adopted?: Adoption) {
    super(checkMaxsize(`${new.target.name}: "maxsize"`, maxsize), adopted);
  }

  protected get kind(): QueueKind {
    return 'queue';
  }
}

/**
 * A Queue that also counts unfinished items: taskDone() after each get(), join() until all are
 * done. It is a Queue (`instanceof Queue`), as in Python.
 */
export class JoinableQueue<T = unknown> extends Queue<T> {
  protected override get kind(): QueueKind {
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
      if (unfinished === 1) bumpAndWake(this.sharedBlock, ALL_DONE_SEQ);
      return;
    }
  }

  /**
   * Waits until every item put has been marked done with taskDone() (Python's join() has no
   * timeout). Holds the event loop open meanwhile; aborting `signal` rejects with its reason.
   */
  async join(options?: WaitOptions): Promise<void> {
    const signal = signalOption('JoinableQueue.join', options);
    throwIfAborted(signal);
    if (Atomics.load(this.sharedWords, UNFINISHED) === 0) return;
    await parkedWait(signal, () => bumpAndWake(this.sharedBlock, ALL_DONE_SEQ), () => this.#waitUntilAllDone(signal));
  }

  async #waitUntilAllDone(signal: AbortSignal | undefined): Promise<void> {
    const words = this.sharedWords;
    for (;;) {
      // The sequence is read first: a taskDone between the check and the wait changes it, so the wait returns.
      const sequence = Atomics.load(words, ALL_DONE_SEQ);
      if (Atomics.load(words, UNFINISHED) === 0) return;
      throwIfAborted(signal);
      await waitWord(this.sharedBlock, ALL_DONE_SEQ, sequence, undefined);
    }
  }
}

/** Python's SimpleQueue: unbounded, with put, get, empty and close only. */
export class SimpleQueue<T = unknown> extends SharedQueue<T> {
  constructor();
  /** @internal A queue received from elsewhere (queueFromRecord). */
  constructor(adopted: Adoption);
  constructor(adopted?: Adoption) {
    super(0, adopted);
  }

  protected get kind(): QueueKind {
    return 'simple';
  }
}

const KINDS: readonly QueueKind[] = ['queue', 'joinable', 'simple'];
const RECEIVED = 'Received queue';

/** The plain fields of a received queue, checked before anything is opened (the block is checked by arena.ts). */
function checkQueueRecord(data: unknown): QueueRecord {
  const record = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  if (!KINDS.includes(record.kind as QueueKind)) throw refusedRecord(RECEIVED, `"kind" must be "queue", "joinable" or "simple", received ${describeValue(record.kind)}`);
  if (!isChannelName(record.name)) throw refusedRecord(RECEIVED, `"name" must be a queue's name ("mpc-" and 16 hex digits), received ${describeValue(record.name)}`);
  const maxsize = record.maxsize;
  if (typeof maxsize !== 'number' || !Number.isInteger(maxsize) || maxsize < 0 || maxsize > 2 ** 31 - 1) {
    throw refusedRecord(RECEIVED, `"maxsize" must be an integer from 0 to 2**31-1, received ${describeValue(maxsize)}`);
  }
  if (!isInFlight(record.copy)) throw refusedRecord(RECEIVED, `"copy" must be { pid, token } integers, received ${describeValue(record.copy)}`);
  return record as unknown as QueueRecord;
}

/** Rebuilds a queue that arrived from another process or thread: the same shared memory, opened here. */
function queueFromRecord(data: unknown): SharedQueue<unknown> {
  const record = checkQueueRecord(data);
  const adopted: Adoption = { block: blockFromRecord(record.block, RECEIVED, QUEUE_WORDS * 4), name: record.name };
  const queue =
    record.kind === 'simple' ? new SimpleQueue(adopted) : record.kind === 'joinable' ? new JoinableQueue(record.maxsize, adopted) : new Queue(record.maxsize, adopted);
  queue.received(record.copy);
  return queue;
}

registerHandleType<SharedQueue<unknown>>({
  tag: 'queue',
  matches: (value): value is SharedQueue<unknown> => value instanceof SharedQueue,
  encode: (queue, _destination, where) => queue.toRecord(where),
  decode: queueFromRecord,
});
