// Lock: Python's multiprocessing.Lock, across processes and threads. One shared word holds the
// holder's pid (0: free). Acquiring is a compare-and-swap, then a short spin, then a futex wait
// that wakes up now and then to check the holder is alive: a lock whose holder died (SIGKILL)
// passes to the next acquirer instead of being lost. A Lock has no owner: any acquire waits
// while it is held, which is what mutual exclusion between async flows of one thread needs.

import { InvalidStateError, TimeoutError } from '../base/errors.js';
import type { SharedBlock } from '../memory/arena.js';
import { checkOptionsObject, checkTimeout, invalidType } from '../base/validate.js';
import { blockForNew, registerSharedType, type SharedWords } from './shared-words.js';
import { waitToTake, wakeWord } from './waiting.js';

const HOLDER = 0;
const WAITERS = 1;
const SPIN_LIMIT = 200;

export interface AcquireOptions {
  /** Wait for the lock (true) or return false at once when it is held. @default true */
  block?: boolean;
  /** Give up after this many ms (returns false). @default wait forever */
  timeout?: number | null;
}

export function checkAcquire(where: string, options: AcquireOptions | undefined): { block: boolean; timeoutMs: number | undefined } {
  checkOptionsObject(`${where}: "options"`, options);
  const block = options?.block ?? true;
  if (typeof block !== 'boolean') throw invalidType(`${where}: "block"`, 'a boolean', block);
  return { block, timeoutMs: checkTimeout(`${where}: "timeout"`, options?.timeout) };
}

/**
 * A lock shared by processes and threads (pass it to them as an argument).
 *
 * @example
 * const lock = new Lock();
 * await using _ = await lock.hold();   // released at the end of the block
 */
export class Lock implements SharedWords {
  readonly #block: SharedBlock = blockForNew(2);

  /** @internal */
  get sharedBlock(): SharedBlock {
    return this.#block;
  }

  /** True when this process holds the lock (Python's `_is_mine` for a Lock: no finer owner). */
  isHeldHere(): boolean {
    return Atomics.load(this.#block.words, HOLDER) === process.pid;
  }

  /** Takes the lock from holder `from` (0: free; else a dead holder's pid). */
  #take(from: number): boolean {
    return Atomics.compareExchange(this.#block.words, HOLDER, from, process.pid) === from;
  }

  /** Takes the lock: true once held, false if `block: false` found it held or `timeout` ran out. */
  async acquire(options?: AcquireOptions): Promise<boolean> {
    if (options === undefined && this.#take(0)) return true; // the common case, before any option is looked at
    const { block, timeoutMs } = checkAcquire('Lock.acquire', options);
    if (this.#take(0)) return true;
    if (!block) return false;
    const words = this.#block.words;
    for (let spin = 0; spin < SPIN_LIMIT; spin++) {
      if (Atomics.load(words, HOLDER) === 0 && this.#take(0)) return true;
    }
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeoutMs;
    return waitToTake(this.#block, HOLDER, WAITERS, (from) => this.#take(from), deadline);
  }

  /** Frees the lock (any process or thread may). Throws InvalidStateError when it is not held. */
  release(): void {
    if (Atomics.exchange(this.#block.words, HOLDER, 0) === 0) {
      throw new InvalidStateError('Lock.release: the lock is not held; release() must follow a successful acquire().');
    }
    if (Atomics.load(this.#block.words, WAITERS) > 0) wakeWord(this.#block, HOLDER, 1);
  }

  /**
   * Acquires and returns a disposable that releases: `await using _ = await lock.hold()`.
   * Rejects with TimeoutError when `timeout` runs out first.
   */
  async hold(options?: Omit<AcquireOptions, 'block'>): Promise<AsyncDisposable & Disposable> {
    return holdWith('Lock.hold', this, options);
  }

  toString(): string {
    const holder = Atomics.load(this.#block.words, HOLDER);
    return `<Lock ${holder === 0 ? 'unlocked' : `locked by pid ${holder}`}>`;
  }
}

registerSharedType(
  'lock',
  Lock,
  () => null,
  () => new Lock(),
);

/** Something that can be acquired and released: a lock, a semaphore. */
export interface Acquirable {
  acquire(options?: AcquireOptions): Promise<boolean>;
  release(): void;
}

/** hold() for any acquirable: acquires, and returns a disposable that releases once. */
export async function holdWith(
  where: string,
  target: Acquirable,
  options?: Omit<AcquireOptions, 'block'>,
): Promise<AsyncDisposable & Disposable> {
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
