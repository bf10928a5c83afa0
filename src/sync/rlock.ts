// RLock: Python's multiprocessing.RLock. Owned by a (pid, thread) pair, as SPEC §3 says: the
// owner may acquire it again (a count), only the owner may release it. Words: owner pid, owner
// thread id (-1 when none: the main thread's id is 0), count, waiters. The pid is taken by
// compare-and-swap; the thread id is written after and cleared before, so another thread of the
// same process never mistakes itself for the owner. A dead owner's lock passes on, as Lock's.

import { threadId } from 'node:worker_threads';
import { InvalidStateError } from '../base/errors.js';
import type { SharedBlock } from '../memory/arena.js';
import { type AcquireOptions, checkAcquire, holdWith } from './lock.js';
import { blockForNew, isAdopted, registerSharedType, type SharedWords } from './shared-words.js';
import { waitToTake, wakeWord } from './waiting.js';

const OWNER_PID = 0;
const OWNER_THREAD = 1;
const COUNT = 2;
const WAITERS = 3;
const SPIN_LIMIT = 200;

/**
 * A reentrant lock shared by processes and threads: its owner may acquire it again.
 *
 * @example
 * const lock = new RLock();
 * await lock.acquire(); await lock.acquire();   // the owner again: no wait
 * lock.release(); lock.release();
 */
export class RLock implements SharedWords {
  readonly #block: SharedBlock = blockForNew(4);

  constructor() {
    if (!isAdopted(this.#block)) Atomics.store(this.#block.words, OWNER_THREAD, -1);
  }

  /** @internal */
  get sharedBlock(): SharedBlock {
    return this.#block;
  }

  /** True when this thread of this process owns the lock (Python's `_is_mine`). */
  isMine(): boolean {
    const words = this.#block.words;
    return Atomics.load(words, OWNER_PID) === process.pid && Atomics.load(words, OWNER_THREAD) === threadId;
  }

  #take(from: number): boolean {
    const words = this.#block.words;
    if (Atomics.compareExchange(words, OWNER_PID, from, process.pid) !== from) return false;
    Atomics.store(words, COUNT, 1);
    Atomics.store(words, OWNER_THREAD, threadId);
    return true;
  }

  /** Takes the lock (again, if this thread owns it): true once held, false on `block: false` or timeout. */
  async acquire(options?: AcquireOptions): Promise<boolean> {
    // The common case first, before any option is looked at: a free lock, no options.
    if (options === undefined && Atomics.load(this.#block.words, OWNER_PID) === 0 && this.#take(0)) return true;
    const { block, timeoutMs } = checkAcquire('RLock.acquire', options);
    if (this.isMine()) {
      Atomics.add(this.#block.words, COUNT, 1);
      return true;
    }
    if (this.#take(0)) return true;
    if (!block) return false;
    for (let spin = 0; spin < SPIN_LIMIT; spin++) {
      if (Atomics.load(this.#block.words, OWNER_PID) === 0 && this.#take(0)) return true;
    }
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeoutMs;
    return waitToTake(this.#block, OWNER_PID, WAITERS, (from) => this.#take(from), deadline);
  }

  /** Releases one level; the lock is free when the count reaches 0. Only the owner may. */
  release(): void {
    if (!this.isMine()) {
      throw new InvalidStateError('RLock.release: this thread does not own the lock (release must follow its own acquire()).');
    }
    if (Atomics.sub(this.#block.words, COUNT, 1) === 1) this.#free();
  }

  #free(): void {
    const words = this.#block.words;
    Atomics.store(words, OWNER_THREAD, -1);
    Atomics.store(words, OWNER_PID, 0);
    if (Atomics.load(words, WAITERS) > 0) wakeWord(this.#block, OWNER_PID, 1);
  }

  /** @internal Condition.wait: releases every level at once and says how many there were. */
  releaseAll(): number {
    if (!this.isMine()) throw new InvalidStateError('RLock: this thread does not own the lock.');
    const count = Atomics.load(this.#block.words, COUNT);
    this.#free();
    return count;
  }

  /** @internal Condition.wait: takes the lock back with the levels it had. */
  async restore(count: number): Promise<void> {
    await this.acquire();
    Atomics.store(this.#block.words, COUNT, count);
  }

  /** Acquires and returns a disposable that releases: `await using _ = await lock.hold()`. */
  hold(options?: Omit<AcquireOptions, 'block'>): Promise<AsyncDisposable & Disposable> {
    return holdWith('RLock.hold', this, options);
  }

  toString(): string {
    const words = this.#block.words;
    const owner = Atomics.load(words, OWNER_PID);
    return owner === 0 ? '<RLock unowned>' : `<RLock owner=${owner}:${Atomics.load(words, OWNER_THREAD)} count=${Atomics.load(words, COUNT)}>`;
  }
}

registerSharedType(
  'rlock',
  RLock,
  () => null,
  () => new RLock(),
);
