// Semaphore and BoundedSemaphore: Python's, across processes and threads. One shared word holds
// the value; acquire decrements it when positive (compare-and-swap) and otherwise waits on the
// word; release increments it and wakes one waiter. A BoundedSemaphore refuses to go above its
// initial value, as Python's raises ValueError.

import { InvalidStateError } from '../base/errors.js';
import type { SharedBlock } from '../memory/arena.js';
import { checkInteger } from '../base/validate.js';
import { type AcquireOptions, checkAcquire, holdWith } from './lock.js';
import { blockForNew, isAdopted, registerSharedType, type SharedWords } from './shared-words.js';
import { waitWord, wakeWord } from './waiting.js';

const VALUE = 0;
const WAITERS = 1;
const SPIN_LIMIT = 200;

/**
 * A counter of available permits shared by processes and threads.
 *
 * @example
 * const slots = new Semaphore(3);        // at most 3 holders at once
 * await using _ = await slots.hold();
 */
export class Semaphore implements SharedWords {
  readonly #block: SharedBlock = blockForNew(2);
  protected readonly className: string = 'Semaphore';

  constructor(value = 1) {
    const initial = checkInteger(`${new.target.name}: "value"`, value, 0);
    if (!isAdopted(this.#block)) Atomics.store(this.#block.words, VALUE, initial);
  }

  /** @internal */
  get sharedBlock(): SharedBlock {
    return this.#block;
  }

  #tryTake(): boolean {
    const words = this.#block.words;
    for (let value = Atomics.load(words, VALUE); value > 0; value = Atomics.load(words, VALUE)) {
      if (Atomics.compareExchange(words, VALUE, value, value - 1) === value) return true;
    }
    return false;
  }

  /** Takes a permit: true once taken, false if `block: false` found none or `timeout` ran out. */
  async acquire(options?: AcquireOptions): Promise<boolean> {
    const { block, timeoutMs } = checkAcquire(`${this.className}.acquire`, options);
    if (this.#tryTake()) return true;
    if (!block) return false;
    for (let spin = 0; spin < SPIN_LIMIT; spin++) if (this.#tryTake()) return true;
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeoutMs;
    const words = this.#block.words;
    Atomics.add(words, WAITERS, 1);
    try {
      for (;;) {
        if (this.#tryTake()) return true;
        const remaining = deadline - performance.now();
        if (remaining <= 0) return false;
        await waitWord(this.#block, VALUE, 0, remaining === Number.POSITIVE_INFINITY ? undefined : remaining);
      }
    } finally {
      Atomics.sub(words, WAITERS, 1);
    }
  }

  /** Gives a permit back and wakes one waiter. */
  release(): void {
    this.beforeRelease(Atomics.load(this.#block.words, VALUE));
    Atomics.add(this.#block.words, VALUE, 1);
    if (Atomics.load(this.#block.words, WAITERS) > 0) wakeWord(this.#block, VALUE, 1);
  }

  /** @internal A check before a release; BoundedSemaphore refuses to exceed its bound. */
  protected beforeRelease(_value: number): void {}

  /** The number of permits available now (Python's `get_value()`). */
  getValue(): number {
    return Atomics.load(this.#block.words, VALUE);
  }

  /** Acquires and returns a disposable that releases: `await using _ = await semaphore.hold()`. */
  hold(options?: Omit<AcquireOptions, 'block'>): Promise<AsyncDisposable & Disposable> {
    return holdWith(`${this.className}.hold`, this, options);
  }

  toString(): string {
    return `<${this.className} value=${this.getValue()}>`;
  }
}

/** A Semaphore that may not be released above its initial value. */
export class BoundedSemaphore extends Semaphore {
  readonly #bound: number;
  protected override readonly className: string = 'BoundedSemaphore';

  constructor(value = 1) {
    super(value);
    this.#bound = value;
  }

  /** @internal */
  get bound(): number {
    return this.#bound;
  }

  protected override beforeRelease(value: number): void {
    if (value >= this.#bound) {
      throw new InvalidStateError(`BoundedSemaphore.release: released too many times (its value may not exceed ${this.#bound}).`);
    }
  }
}

registerSharedType(
  'semaphore',
  Semaphore,
  (semaphore) => ({ bound: semaphore instanceof BoundedSemaphore ? semaphore.bound : null }),
  ({ bound }) => (bound === null ? new Semaphore(0) : new BoundedSemaphore(bound)),
);
