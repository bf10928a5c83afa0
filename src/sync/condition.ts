// Condition: Python's multiprocessing.Condition, over a Lock or (by default) an RLock that
// travels with it. A shared sequence word counts notifications: wait() releases the lock,
// waits for the word to change, and takes the lock back; notify(n) bumps it and wakes n.
// A waiter that had not parked yet when notified sees the changed word and returns too, so
// notify(n) may wake a few more than n: wait in a loop, or use waitFor().

import { InvalidStateError } from '../base/errors.js';
import type { SharedBlock } from '../memory/arena.js';
import { encodeValue } from '../tasks/codec.js';
import { checkInteger, checkTimeout, invalidType } from '../base/validate.js';
import { type AcquireOptions, Lock } from './lock.js';
import { RLock } from './rlock.js';
import { blockForNew, registerSharedType, type SharedWords } from './shared-words.js';
import { waitWord, wakeWord } from './waiting.js';

const SEQUENCE = 0;
const WAITERS = 1;
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
  readonly #block: SharedBlock = blockForNew(2);
  readonly #lock: Lock | RLock;

  constructor(lock?: Lock | RLock | null) {
    if (lock != null && !(lock instanceof Lock) && !(lock instanceof RLock)) {
      throw invalidType('Condition: "lock"', 'a Lock or an RLock', lock);
    }
    this.#lock = lock ?? new RLock();
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

  hold(options?: Omit<AcquireOptions, 'block'>): Promise<AsyncDisposable & Disposable> {
    return this.#lock.hold(options);
  }

  #assertOwned(method: string): void {
    const isOwned = this.#lock instanceof RLock ? this.#lock.isMine() : this.#lock.isHeldHere();
    if (!isOwned) throw new InvalidStateError(`Condition.${method}: the lock must be held; acquire() it first.`);
  }

  /** Releases the lock, waits for a notify (or `timeout` ms), takes the lock back. False on timeout. */
  async wait(timeout?: number | null): Promise<boolean> {
    const timeoutMs = checkTimeout('Condition.wait: "timeout"', timeout);
    this.#assertOwned('wait');
    const words = this.#block.words;
    const sequence = Atomics.load(words, SEQUENCE);
    Atomics.add(words, WAITERS, 1);
    const lock = this.#lock;
    let levels = 1;
    if (lock instanceof RLock) levels = lock.releaseAll();
    else lock.release();
    try {
      return (await waitWord(this.#block, SEQUENCE, sequence, timeoutMs)) !== 'timed-out';
    } finally {
      Atomics.sub(words, WAITERS, 1);
      if (lock instanceof RLock) await lock.restore(levels);
      else await lock.acquire();
    }
  }

  /** Waits until `predicate()` is truthy (or `timeout` ms pass); returns its last value. */
  async waitFor<T>(predicate: () => T | Promise<T>, timeout?: number | null): Promise<T> {
    if (typeof predicate !== 'function') throw invalidType('Condition.waitFor: "predicate"', 'a function', predicate);
    const timeoutMs = checkTimeout('Condition.waitFor: "timeout"', timeout);
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeoutMs;
    for (;;) {
      const result = await predicate();
      if (result) return result;
      const remaining = deadline - performance.now();
      if (remaining <= 0) return result;
      await this.wait(remaining === Number.POSITIVE_INFINITY ? undefined : remaining);
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
  ({ lock }) => new Condition(lock as Lock | RLock),
);
