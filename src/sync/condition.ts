// Condition: Python's multiprocessing.Condition, over a Lock or (by default) an RLock that
// travels with it. A shared sequence word counts notifications: wait() releases the lock,
// waits for the word to change, and takes the lock back; notify(n) bumps it and wakes n.
// A waiter that had not parked yet when notified sees the changed word and returns too, so
// notify(n) may wake a few more than n: wait in a loop, or use waitFor().

import { checkWaitOptions, type WaitOptions } from '../base/abort.js';
import { Deadline } from '../base/deadline.js';
import { InvalidStateError } from '../base/errors.js';
import { checkInteger, checkTimeout, invalidType } from '../base/validate.js';
import { waitWordAbortable, wakeWord } from '../base/word-wait.js';
import type { SharedBlock } from '../memory/arena.js';
import { encodeValue } from '../tasks/codec.js';
import { type AcquireOptions, type HoldOptions, Lock } from './lock.js';
import { RLock } from './rlock.js';
import { type Adoption, blockFor, registerSharedType, type SharedWords } from './shared-words.js';

const SEQUENCE = 0;
const WAITERS = 1;
const WORDS = 2;
const ALL = 2 ** 31 - 1;

/**
 * Waiting for a state that other processes change, under a shared lock.
 *
 * @example
 * const ready = new Condition();
 * await using _ = await ready.hold();
 * await ready.waitFor(() => queueLength() > 0);
 */
export class Condition implements SharedWords {
  readonly #block: SharedBlock;
  readonly #lock: Lock | RLock;

  constructor(lock?: Lock | RLock | null);
  /** @internal */
  constructor(lock: Lock | RLock | null | undefined, adoption: Adoption | undefined);
  constructor(lock?: Lock | RLock | null, adoption?: Adoption) {
    if (lock != null && !(lock instanceof Lock) && !(lock instanceof RLock)) {
      throw invalidType('Condition: "lock"', 'a Lock or an RLock', lock);
    }
    this.#block = blockFor(adoption, WORDS * 4);
    this.#lock = lock ?? new RLock();
  }

  /** @internal Rebuilds a Condition received from another process or thread, over its (received) lock. */
  static fromRecord(adoption: Adoption, lock: Lock | RLock): Condition {
    return new Condition(lock, adoption);
  }

  /** @internal */
  get sharedBlock(): SharedBlock {
    return this.#block;
  }

  /** @internal The lock, for sending the condition elsewhere. */
  get lock(): Lock | RLock {
    return this.#lock;
  }

  acquire(options?: AcquireOptions): Promise<boolean> {
    return this.#lock.acquire(options);
  }

  release(): void {
    this.#lock.release();
  }

  hold(options?: HoldOptions): Promise<AsyncDisposable & Disposable> {
    return this.#lock.hold(options);
  }

  #assertOwned(method: string): void {
    const isOwned = this.#lock instanceof RLock ? this.#lock.isMine() : this.#lock.isHeldHere();
    if (!isOwned) throw new InvalidStateError(`Condition.${method}: the lock must be held; acquire() it first.`);
  }

  /**
   * Releases the lock, waits for a notify (or `timeout` ms), takes the lock back; false on
   * timeout. When `signal` aborts, the lock is taken back too, then the promise rejects with
   * `signal.reason`.
   */
  async wait(timeout?: number | null, options?: WaitOptions): Promise<boolean> {
    const timeoutMs = checkTimeout('Condition.wait: "timeout"', timeout);
    const signal = checkWaitOptions('Condition.wait', options);
    this.#assertOwned('wait');
    const words = this.#block.words;
    const sequence = Atomics.load(words, SEQUENCE);
    Atomics.add(words, WAITERS, 1);
    const lock = this.#lock;
    let levels = 1;
    if (lock instanceof RLock) levels = lock.releaseAll();
    else lock.release();
    try {
      const deadline = Deadline.after(timeoutMs);
      while (Atomics.load(words, SEQUENCE) === sequence) {
        if (deadline.passed()) return false;
        await waitWordAbortable(this.#block, SEQUENCE, sequence, deadline.remaining(), signal);
      }
      return true;
    } finally {
      Atomics.sub(words, WAITERS, 1);
      // As Python's: the lock is held again when wait() returns or throws (a timeout, an abort).
      if (lock instanceof RLock) await lock.restore(levels);
      else await lock.acquire();
    }
  }

  /**
   * Waits until `predicate()` is truthy (or `timeout` ms pass); returns its last value.
   * Rejects with `signal.reason` when `signal` aborts first (the lock is held again then).
   */
  async waitFor<T>(predicate: () => T | Promise<T>, timeout?: number | null, options?: WaitOptions): Promise<T> {
    if (typeof predicate !== 'function') throw invalidType('Condition.waitFor: "predicate"', 'a function', predicate);
    const timeoutMs = checkTimeout('Condition.waitFor: "timeout"', timeout);
    const signal = checkWaitOptions('Condition.waitFor', options);
    const deadline = Deadline.after(timeoutMs);
    for (;;) {
      const result = await predicate();
      if (result || deadline.passed()) return result;
      await this.wait(deadline.remaining(), { signal });
    }
  }

  /** Wakes up to `n` waiters; the lock must be held. */
  notify(n = 1): void {
    checkInteger('Condition.notify: "n"', n, 0);
    this.#assertOwned('notify');
    this.#signal(n);
  }

  /** Wakes every waiter; the lock must be held. */
  notifyAll(): void {
    this.#assertOwned('notifyAll');
    this.#signal(ALL);
  }

  #signal(count: number): void {
    if (count === 0 || Atomics.load(this.#block.words, WAITERS) === 0) return;
    Atomics.add(this.#block.words, SEQUENCE, 1);
    wakeWord(this.#block, SEQUENCE, count);
  }
}

registerSharedType(
  'condition',
  Condition,
  // The lock is a handle of its own: encoded here, restored before rebuild() sees it.
  (condition, destination, where) => ({ lock: encodeValue(condition.lock, `${where}.lock`, destination).value }),
  (adoption, { lock }) => Condition.fromRecord(adoption, lock as Lock | RLock),
);
