// The Condition a manager holds (Python's threading.Condition in its server), over a manager
// Lock or RLock (managed-locks.ts). Over an RLock, only the client that owns it may wait or
// notify, as in Python; over a Lock, which has no owner, it must be held by someone (Python's
// Condition asks the same of a Lock). notify(n) wakes exactly n waiters, in the order they came.
// A waiter whose client goes away stops waiting and does not take the lock back.

import { checkWaitOptions, type WaitOptions } from '../base/abort.js';
import { Deadline } from '../base/deadline.js';
import { InvalidStateError } from '../base/errors.js';
import { checkInteger, checkTimeout, invalidType } from '../base/validate.js';
import type { AcquireOptions } from '../sync/lock.js';
import { type Caller, TAKES_CALLER } from './caller.js';
import { ManagedLock, ManagedRLock } from './managed-locks.js';

/** A wait() in progress: notify() wakes it. */
type Sleeper = () => void;

export class ManagedCondition {
  readonly [TAKES_CALLER] = true;
  readonly #lock: ManagedLock | ManagedRLock;
  readonly #sleepers = new Set<Sleeper>();

  constructor(lock?: ManagedLock | ManagedRLock | null) {
    if (lock != null && !(lock instanceof ManagedLock) && !(lock instanceof ManagedRLock)) {
      throw invalidType('SyncManager.Condition: "lock"', 'a Lock or RLock proxy of this manager', lock);
    }
    this.#lock = lock ?? new ManagedRLock();
  }

  acquire(caller: Caller, options?: AcquireOptions): Promise<boolean> {
    return this.#lock.acquire(caller, options);
  }

  release(caller: Caller): void {
    this.#lock.release(caller);
  }

  /**
   * Releases the lock, waits for a notify (or `timeout` ms), takes the lock back with the levels
   * it had; false on timeout. A signal cannot travel to the manager: `options` is checked only.
   */
  async wait(caller: Caller, timeout?: number | null, options?: WaitOptions): Promise<boolean> {
    const timeoutMs = checkTimeout('Condition.wait: "timeout"', timeout);
    checkWaitOptions('Condition.wait', options);
    this.#checkOwned(caller, 'wait');
    const levels = this.#lock.releaseAll(caller);
    const isNotified = await this.#sleep(caller, Deadline.after(timeoutMs));
    // As Python's: the lock is held again when wait() returns, notified or not.
    if (!(await this.#lock.restore(caller, levels))) return false;
    return isNotified;
  }

  /** Wakes up to `n` waiters; the lock must be held (by this client, for an RLock). */
  notify(caller: Caller, n: unknown = 1): void {
    const count = checkInteger('Condition.notify: "n"', n, 0);
    this.#checkOwned(caller, 'notify');
    let left = count;
    for (const wake of this.#sleepers) {
      if (left === 0) return;
      wake(); // it leaves the set
      left -= 1;
    }
  }

  /** Wakes every waiter; the lock must be held (by this client, for an RLock). */
  notifyAll(caller: Caller): void {
    this.#checkOwned(caller, 'notifyAll');
    for (const wake of this.#sleepers) wake();
  }

  /** Python's Condition._is_owned: an RLock owned by this client; a Lock held at all. */
  #checkOwned(caller: Caller, method: 'wait' | 'notify' | 'notifyAll'): void {
    const holder = this.#lock.holder;
    const isOwned = this.#lock instanceof ManagedRLock ? holder === caller : holder !== null;
    if (isOwned) return;
    const action = method === 'wait' ? 'wait' : 'notify';
    throw new InvalidStateError(`Condition.${method}: cannot ${action} on un-acquired lock: the condition's lock must be held by this process (or thread); acquire() it first.`);
  }

  /** True when woken by notify, false at the deadline or when the caller goes away. */
  #sleep(caller: Caller, deadline: Deadline): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let untieCaller = () => {};
      const finish = (isNotified: boolean) => {
        if (!this.#sleepers.delete(wake)) return;
        untieCaller();
        deadline.stop();
        resolve(isNotified);
      };
      const wake: Sleeper = () => finish(true);
      this.#sleepers.add(wake);
      untieCaller = caller.whenGone(() => finish(false));
      if (!deadline.isForever) void deadline.expired().then(() => finish(false));
    });
  }
}
