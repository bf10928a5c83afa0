// Lock: Python's multiprocessing.Lock, across processes and threads. Its words are a lock word
// (base/lock-word.ts: the holder thread, 0 when free), a count of waiters and the word they park
// on. Acquiring is one compare-and-swap, then a short spin, then a wait that wakes up now and
// then to check the holder is alive: a lock whose holder died (a process SIGKILLed, a thread
// terminated) passes to the next acquirer instead of being lost. A Lock has no owner: any
// acquire waits while it is held, which is what mutual exclusion between async flows of one
// thread needs.

import { checkSignal, throwIfAborted } from '../base/abort.js';
import { Deadline } from '../base/deadline.js';
import { InvalidStateError, TimeoutError } from '../base/errors.js';
import { isThreadOfThisProcess } from '../base/liveness.js';
import { LockWord } from '../base/lock-word.js';
import type { SharedBlock } from '../memory/arena.js';
import { checkOptionsObject, checkTimeout, invalidType } from '../base/validate.js';
import { type Adoption, blockFor, registerSharedType, type SharedWords } from './shared-words.js';

const HOLDER = 0; // and 1: the lock word
const WAITERS = 2;
const WAKE = 3;
const WORDS = 4;

export interface AcquireOptions {
  /** Wait for the lock (true) or return false at once when it is held. @default true */
  block?: boolean;
  /** Give up after this many ms (returns false). @default wait forever */
  timeout?: number | null;
  /** Abort the wait: the promise rejects with `signal.reason` and the lock is not taken. */
  signal?: AbortSignal | null;
}

/** The options of hold(): acquire's, without `block`. */
export type HoldOptions = Omit<AcquireOptions, 'block'>;

export interface CheckedAcquire {
  readonly block: boolean;
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
}

/**
 * What acquire() returns when it took a free lock at once: one promise, already resolved, for
 * every such call of this thread. Awaiting it costs what awaiting any settled promise does; an
 * async function would allocate and resolve a new one per call, on the path of every acquire.
 */
export const TAKEN: Promise<boolean> = Promise.resolve(true);

/** Checks acquire()'s options; throws the signal's reason when it is already aborted. */
export function checkAcquire(where: string, options: AcquireOptions | undefined): CheckedAcquire {
  checkOptionsObject(`${where}: "options"`, options);
  const block = options?.block ?? true;
  if (typeof block !== 'boolean') throw invalidType(`${where}: "block"`, 'a boolean', block);
  const timeoutMs = checkTimeout(`${where}: "timeout"`, options?.timeout);
  const signal = checkSignal(`${where}: "signal"`, options?.signal);
  throwIfAborted(signal);
  return { block, timeoutMs, signal };
}

/**
 * A lock shared by processes and threads (pass it to them as an argument).
 *
 * @example
 * const lock = new Lock();
 * await using _ = await lock.hold();   // released at the end of the block
 */
export class Lock implements SharedWords {
  readonly #block: SharedBlock;
  readonly #word: LockWord;

  constructor();
  /** @internal */
  constructor(adoption: Adoption | undefined);
  constructor(adoption?: Adoption) {
    this.#block = blockFor(adoption, WORDS * 4);
    this.#word = new LockWord(this.#block, HOLDER, WAITERS, WAKE);
  }

  /** @internal Rebuilds a Lock received from another process or thread. */
  static fromRecord(adoption: Adoption): Lock {
    return new Lock(adoption);
  }

  /** @internal */
  get sharedBlock(): SharedBlock {
    return this.#block;
  }

  /** True when a thread of this process holds the lock (Python's `_is_mine` for a Lock: no finer owner). */
  isHeldHere(): boolean {
    const holder = this.#word.holder();
    return holder !== null && isThreadOfThisProcess(holder.tid);
  }

  /**
   * Takes the lock: true once held, false if `block: false` found it held or `timeout` ran out.
   * Rejects with `signal.reason` when `signal` aborts first; the lock is then not taken.
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    // The common case first, before any option is looked at: a free lock, no options.
    if (options === undefined && this.#word.tryTake()) return TAKEN;
    return this.#acquire(options);
  }

  async #acquire(options: AcquireOptions | undefined): Promise<boolean> {
    const { block, timeoutMs, signal } = checkAcquire('Lock.acquire', options);
    if (!block) return this.#word.tryTakeOrTakeOver();
    return this.#word.take(Deadline.after(timeoutMs), signal);
  }

  /** Frees the lock (any process or thread may). Throws InvalidStateError when it is not held. */
  release(): void {
    if (!this.#word.release()) {
      throw new InvalidStateError('Lock.release: the lock is not held; release() must follow a successful acquire().');
    }
  }

  /**
   * Acquires and returns a disposable that releases: `await using _ = await lock.hold()`.
   * Rejects with TimeoutError when `timeout` runs out first, with `signal.reason` on abort.
   */
  async hold(options?: HoldOptions): Promise<AsyncDisposable & Disposable> {
    return holdWith('Lock.hold', this, options);
  }

  toString(): string {
    const holder = this.#word.holder();
    return `<Lock ${holder === null ? 'unlocked' : `locked by thread ${holder.tid}`}>`;
  }
}

registerSharedType(
  'lock',
  Lock,
  () => null,
  (adoption) => Lock.fromRecord(adoption),
);

/** Something that can be acquired and released: a lock, a semaphore. */
export interface Acquirable {
  acquire(options?: AcquireOptions): Promise<boolean>;
  release(): void;
}

/** hold() for any acquirable: acquires, and returns a disposable that releases once. */
export async function holdWith(where: string, target: Acquirable, options?: HoldOptions): Promise<AsyncDisposable & Disposable> {
  if (!(await target.acquire(options))) {
    throw new TimeoutError(`${where}: not acquired within ${options?.timeout} ms.`);
  }
  let isReleased = false;
  const release = () => {
    if (!isReleased) target.release();
    isReleased = true;
  };
  return { [Symbol.asyncDispose]: async () => release(), [Symbol.dispose]: release };
}
