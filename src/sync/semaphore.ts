// Semaphore and BoundedSemaphore: Python's, across processes and threads. One shared word holds
// the value; acquire decrements it when positive (compare-and-swap) and otherwise waits on the
// word; release increments it and wakes one waiter. A BoundedSemaphore refuses to go above its
// initial value, as Python's raises ValueError. There is no internal lock word: no waiter can
// hang on a holder that died; the permits a dead holder took are not returned, as in Python.

import { throwIfAborted } from '../base/abort.js';
import { Deadline } from '../base/deadline.js';
import { InvalidStateError } from '../base/errors.js';
import { waitWordAbortable, wakeWord } from '../base/word-wait.js';
import type { SharedBlock } from '../memory/arena.js';
import { checkInteger } from '../base/validate.js';
import { type AcquireOptions, checkAcquire, type HoldOptions, holdWith } from './lock.js';
import { type Adoption, blockFor, isAdoption, registerSharedType, type SharedWords } from './shared-words.js';

const VALUE = 0;
const WAITERS = 1;
const WORDS = 2;
const SPIN_LIMIT = 200;

/**
 * A counter of available permits shared by processes and threads.
 *
 * @example
 * const slots = new Semaphore(3);        // at most 3 holders at once
 * await using _ = await slots.hold();
 */
export class Semaphore implements SharedWords {
  readonly #block: SharedBlock;
  protected readonly className: string = 'Semaphore';

  constructor(value?: number);
  /** @internal */
  constructor(value: number, adoption: Adoption | undefined);
  constructor(value = 1, adoption?: Adoption) {
    const initial = checkInteger(`${new.target.name}: "value"`, value, 0);
    this.#block = blockFor(adoption, WORDS * 4);
    if (!isAdoption(adoption)) Atomics.store(this.#block.words, VALUE, initial);
  }

  /** @internal Rebuilds a Semaphore (bound null) or a BoundedSemaphore received from elsewhere. */
  static fromRecord(adoption: Adoption, bound: number | null): Semaphore {
    return bound === null ? new Semaphore(0, adoption) : new BoundedSemaphore(bound, adoption);
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

  /**
   * Takes a permit: true once taken, false if `block: false` found none or `timeout` ran out.
   * Rejects with `signal.reason` when `signal` aborts first; no permit is then taken.
   */
  async acquire(options?: AcquireOptions): Promise<boolean> {
    const { block, timeoutMs, signal } = checkAcquire(`${this.className}.acquire`, options);
    if (this.#tryTake()) return true;
    if (!block) return false;
    for (let spin = 0; spin < SPIN_LIMIT; spin++) if (this.#tryTake()) return true;
    const deadline = Deadline.after(timeoutMs);
    const words = this.#block.words;
    Atomics.add(words, WAITERS, 1);
    try {
      for (;;) {
        throwIfAborted(signal);
        if (this.#tryTake()) return true;
        if (deadline.passed()) return false;
        await waitWordAbortable(this.#block, VALUE, 0, deadline.remaining(), signal);
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
  hold(options?: HoldOptions): Promise<AsyncDisposable & Disposable> {
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

  constructor(value?: number);
  /** @internal */
  constructor(value: number, adoption: Adoption | undefined);
  constructor(value = 1, adoption?: Adoption) {
    super(value, adoption);
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
  (adoption, { bound }) => Semaphore.fromRecord(adoption, bound),
);
