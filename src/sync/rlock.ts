// RLock: Python's multiprocessing.RLock. Owned by a (pid, thread) pair, as SPEC §3 says, which an
// OS thread id names exactly: the owner may acquire it again (a count), only the owner may
// release it. Words: the lock word (base/lock-word.ts: the owner thread, 0 when free), the
// count, the waiters and the word they park on. A dead owner's lock passes on, as Lock's.
// Only the owner reads or writes the count, between its taking and its freeing of the lock word
// (atomic operations that order them): plain accesses, not atomic ones, which cost a locked
// instruction each on the path of every acquire and release.

import { Deadline } from '../base/deadline.js';
import { InvalidStateError } from '../base/errors.js';
import { LockWord } from '../base/lock-word.js';
import type { SharedBlock } from '../memory/arena.js';
import { type AcquireOptions, checkAcquire, type HoldOptions, holdWith, TAKEN } from './lock.js';
import { type Adoption, blockFor, registerSharedType, type SharedWords } from './shared-words.js';

const OWNER = 0; // and 1: the lock word
const COUNT = 2;
const WAITERS = 3;
const WAKE = 4;
const WORDS = 5;

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
    this.#word = new LockWord(this.#block, OWNER, WAITERS, WAKE);
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
    this.#block.words[COUNT] = 1;
    return true;
  }

  /**
   * Takes the lock (again, if this thread owns it): true once held, false on `block: false` or
   * timeout. Rejects with `signal.reason` when `signal` aborts first; the lock is then not taken.
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    // The common case first, before any option is looked at: a free lock, no options.
    if (options === undefined && this.#word.tryTake()) {
      this.#taken();
      return TAKEN;
    }
    return this.#acquire(options);
  }

  async #acquire(options: AcquireOptions | undefined): Promise<boolean> {
    const { block, timeoutMs, signal } = checkAcquire('RLock.acquire', options);
    if (this.isMine()) {
      this.#block.words[COUNT] += 1;
      return true;
    }
    if (!block) return this.#word.tryTakeOrTakeOver() && this.#taken();
    return (await this.#word.take(Deadline.after(timeoutMs), signal)) && this.#taken();
  }

  /** Releases one level; the lock is free when the count reaches 0. Only the owner may. */
  release(): void {
    if (!this.isMine()) {
      throw new InvalidStateError('RLock.release: this thread does not own the lock (release must follow its own acquire()).');
    }
    const words = this.#block.words;
    const count = words[COUNT] - 1;
    words[COUNT] = count;
    if (count === 0) this.#word.release();
  }

  /** @internal Condition.wait: releases every level at once and says how many there were. */
  releaseAll(): number {
    if (!this.isMine()) throw new InvalidStateError('RLock: this thread does not own the lock.');
    const words = this.#block.words;
    const count = words[COUNT];
    words[COUNT] = 0;
    this.#word.release();
    return count;
  }

  /** @internal Condition.wait: takes the lock back with the levels it had. */
  async restore(count: number): Promise<void> {
    await this.acquire();
    this.#block.words[COUNT] = count;
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
