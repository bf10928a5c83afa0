// The Lock and RLock a manager holds (Python's threading.Lock and RLock in its server). They
// never leave the manager process, so they are plain objects of its event loop, held by a
// client link (caller.ts) rather than by the manager's one thread: a client's RLock is its own
// (another client's acquire waits, its release is refused), as Python's server thread per
// connection makes it. Waiters are served first come, first served.
// Beyond Python, whose lock stays held forever when its holder's connection dies: a lock held
// by a client that goes away (its process or thread ended, its socket closed) passes to the
// next waiter, as multiproc's own locks pass on from a dead holder (SPEC §6).

import { Deadline } from '../base/deadline.js';
import { InvalidStateError } from '../base/errors.js';
import { type AcquireOptions, checkAcquire } from '../sync/lock.js';
import { type Caller, TAKES_CALLER } from './caller.js';

interface Waiter {
  readonly caller: Caller;
  /** The lock was handed to this waiter's caller: its acquire() returns true. */
  granted(): void;
}

const NOTHING_TO_UNDO = () => {};

/** What Lock and RLock share: a holder, its levels, the queue of waiters. */
class ClientLock {
  readonly [TAKES_CALLER] = true;
  readonly #name: 'Lock' | 'RLock';
  readonly #isReentrant: boolean;
  #holder: Caller | null = null;
  #levels = 0;
  #untieHolder: () => void = NOTHING_TO_UNDO;
  readonly #waiters = new Set<Waiter>();

  protected constructor(name: 'Lock' | 'RLock', isReentrant: boolean) {
    this.#name = name;
    this.#isReentrant = isReentrant;
  }

  /** @internal Who holds it (null: free). */
  get holder(): Caller | null {
    return this.#holder;
  }

  /** Takes the lock for `caller`: true once held, false on `block: false` or timeout (ms). */
  async acquire(caller: Caller, options?: AcquireOptions): Promise<boolean> {
    const { block, timeoutMs } = checkAcquire(`${this.#name}.acquire`, options);
    if (caller.isGone) return false; // nobody would read the answer, and nobody could release it
    if (this.#isReentrant && this.#holder === caller) {
      this.#levels += 1;
      return true;
    }
    if (this.#holder === null) {
      this.#hold(caller);
      return true;
    }
    if (!block) return false;
    return this.#wait(caller, Deadline.after(timeoutMs));
  }

  /** Releases one level; at none left the next waiter gets it. */
  release(caller: Caller): void {
    this.#checkRelease(caller);
    this.#levels -= 1;
    if (this.#levels === 0) this.#handOver();
  }

  /** @internal Condition.wait: releases every level at once and says how many there were. */
  releaseAll(caller: Caller): number {
    this.#checkRelease(caller);
    const levels = this.#levels;
    this.#handOver();
    return levels;
  }

  /**
   * @internal Condition.wait: takes the lock back with the levels it had; false when the caller
   * went away first. Another async flow of the same client may have taken an RLock meanwhile:
   * its levels and these add up.
   */
  async restore(caller: Caller, levels: number): Promise<boolean> {
    if (this.#isReentrant && this.#holder === caller) {
      this.#levels += levels;
      return true;
    }
    if (!(await this.acquire(caller))) return false;
    this.#levels = levels;
    return true;
  }

  /** Python's rule: a Lock may be released by anyone while held, an RLock by its owner only. */
  #checkRelease(caller: Caller): void {
    if (this.#holder === null && !this.#isReentrant) {
      throw new InvalidStateError('Lock.release: release unlocked lock: the lock is not held; release() must follow a successful acquire().');
    }
    if (this.#isReentrant && this.#holder !== caller) {
      throw new InvalidStateError(
        'RLock.release: cannot release un-acquired lock: this process (or thread) does not own it. A manager RLock belongs to the process or thread whose proxy acquired it; release() must follow its own acquire().',
      );
    }
  }

  #hold(caller: Caller): void {
    this.#holder = caller;
    this.#levels = 1;
    this.#untieHolder = caller.whenGone(() => this.#handOver());
  }

  /** The lock is free: the first waiter gets it, or nobody holds it. */
  #handOver(): void {
    this.#untieHolder();
    this.#untieHolder = NOTHING_TO_UNDO;
    this.#holder = null;
    this.#levels = 0;
    for (const waiter of this.#waiters) {
      if (waiter.caller.isGone) continue; // leaving right now: its own undo ends its wait
      this.#waiters.delete(waiter);
      this.#hold(waiter.caller);
      waiter.granted();
      return;
    }
  }

  /** Waits for its turn: true once handed the lock, false at the deadline or when the caller goes. */
  #wait(caller: Caller, deadline: Deadline): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let untieCaller = NOTHING_TO_UNDO;
      const finish = (isTaken: boolean) => {
        if (!this.#waiters.delete(waiter) && !isTaken) return; // already handed the lock, or already ended
        untieCaller();
        deadline.stop();
        resolve(isTaken);
      };
      const waiter: Waiter = { caller, granted: () => finish(true) };
      this.#waiters.add(waiter);
      untieCaller = caller.whenGone(() => finish(false));
      if (!deadline.isForever) void deadline.expired().then(() => finish(false));
    });
  }
}

/** Python's manager Lock: any client may release it while it is held. */
export class ManagedLock extends ClientLock {
  constructor() {
    super('Lock', false);
  }
}

/** Python's manager RLock: owned by the client that acquired it, which may acquire it again. */
export class ManagedRLock extends ClientLock {
  constructor() {
    super('RLock', true);
  }
}
