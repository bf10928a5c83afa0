// RLock: Python's multiprocessing.RLock. Owned by a (pid, thread) pair, as SPEC §3 says, which an
// OS thread id names exactly: the owner may acquire it again (a count), only the owner may
// release it. Words: the lock word (base/lock-word.ts: the owner thread, 0 when free), the
// count, the waiters. A dead owner's lock passes on, as Lock's.

import { Deadline } from '../base/deadline.js';
import { InvalidStateError } from '../base/errors.js';
import { LockWord } from '../base/lock-word.js';
import type { SharedBlock } from '../memory/arena.js';
import { type AcquireOptions, checkAcquire, type HoldOptions, holdWith } from './lock.js';
import { type Adoption, blockFor, registerSharedType, type SharedWords } from './shared-words.js';

const OWNER = 0; // and 1: the lock word
const COUNT = 2;
const WAITERS = 3;
const WORDS = 4;

/**
 * A reentrant lock shared by processes and threads: its owner may acquire it again.
 *
 * @example
 * const lock = new RLock();
 * await lock.acquire(); await lock.acquire();   // the owner again: no wait
 * lock.release(); lock.release();
 */
export class RLock implements SharedWords {
  readonly #block: SharedBlock;
  readonly #word: LockWord;

  constructor();
  /** @internal */
  constructor(adoption: Adoption | undefined);
  constructor(adoption?: Adoption) {
    this.#block = blockFor(adoption, WORDS * 4);
    this.#word = new LockWord(this.#block, OWNER, WAITERS);
  }

  /** @internal Rebuilds an RLock received from another process or thread. */
  static fromRecord(adoption: Adoption): RLock {
    return new RLock(adoption);
  }

  /** @internal */
  get sharedBlock(): SharedBlock {
    return this.#block;
  }

  /** True when this thread of this process owns the lock (Python's `_is_mine`). */
  isMine(): boolean {
    return this.#word.isMine();
  }

  #taken(): true {
    Atomics.store(this.#block.words, COUNT, 1);
    return true;
  }

  /**
   * Takes the lock (again, if this thread owns it): true once held, false on `block: false` or
   * timeout. Rejects with `signal.reason` when `signal` aborts first; the lock is then not taken.
   */
  async acquire(options?: AcquireOptions): Promise<boolean> {
    // The common case first, before any option is looked at: a free lock, no options.
    if (options === undefined && this.#word.tryTake()) return this.#taken();
    const { block, timeoutMs, signal } = checkAcquire('RLock.acquire', options);
    if (this.isMine()) {
      Atomics.add(this.#block.words, COUNT, 1);
      return true;
    }
    if (this.#word.tryTakeOrTakeOver()) return this.#taken();
    if (!block) return false;
    return (await this.#word.take(Deadline.after(timeoutMs), signal)) && this.#taken();
  }

  /** Releases one level; the lock is free when the count reaches 0. Only the owner may. */
  release(): void {
    if (!this.isMine()) {
      throw new InvalidStateError('RLock.release: this thread does not own the lock (release must follow its own acquire()).');
    }
    if (Atomics.sub(this.#block.words, COUNT, 1) === 1) this.#word.release();
  }

  /** @internal Condition.wait: releases every level at once and says how many there were. */
  releaseAll(): number {
    if (!this.isMine()) throw new InvalidStateError('RLock: this thread does not own the lock.');
    const count = Atomics.exchange(this.#block.words, COUNT, 0);
    this.#word.release();
    return count;
  }

  /** @internal Condition.wait: takes the lock back with the levels it had. */
  async restore(count: number): Promise<void> {
    await this.acquire();
    Atomics.store(this.#block.words, COUNT, count);
  }

  /** Acquires and returns a disposable that releases: `await using _ = await lock.hold()`. */
  hold(options?: HoldOptions): Promise<AsyncDisposable & Disposable> {
    return holdWith('RLock.hold', this, options);
  }

  toString(): string {
    const owner = this.#word.holder();
    return owner === null ? '<RLock unowned>' : `<RLock owner=thread ${owner.tid} count=${Atomics.load(this.#block.words, COUNT)}>`;
  }
}

registerSharedType(
  'rlock',
  RLock,
  () => null,
  (adoption) => RLock.fromRecord(adoption),
);
