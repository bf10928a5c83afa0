// Event: Python's multiprocessing.Event. One shared word is the flag; set() stores 1 and wakes
// every waiter (in any process), wait() waits on the word while it is 0.

import { checkWaitOptions, type WaitOptions } from '../base/abort.js';
import { Deadline } from '../base/deadline.js';
import { checkTimeout } from '../base/validate.js';
import { waitWordAbortable, wakeWord } from '../base/word-wait.js';
import type { SharedBlock } from '../memory/arena.js';
import { type Adoption, blockFor, registerSharedType, type SharedWords } from './shared-words.js';

const FLAG = 0;
const WORDS = 1;
const ALL = 2 ** 31 - 1;
/** Loads of the flag before parking: a hand-off between busy processes is caught in microseconds. */
const SPIN_LIMIT = 20_000;

/**
 * A flag that processes and threads can wait for.
 *
 * @example
 * const ready = new Event();
 * // in a child: await ready.wait();   here: ready.set();
 */
export class Event implements SharedWords {
  readonly #block: SharedBlock;

  constructor();
  /** @internal */
  constructor(adoption: Adoption | undefined);
  constructor(adoption?: Adoption) {
    this.#block = blockFor(adoption, WORDS * 4);
  }

  /** @internal Rebuilds an Event received from another process or thread. */
  static fromRecord(adoption: Adoption): Event {
    return new Event(adoption);
  }

  /** @internal */
  get sharedBlock(): SharedBlock {
    return this.#block;
  }

  /** True once set() was called (and clear() was not, since). */
  isSet(): boolean {
    return Atomics.load(this.#block.words, FLAG) === 1;
  }

  /** Sets the flag and wakes every waiter. */
  set(): void {
    Atomics.store(this.#block.words, FLAG, 1);
    wakeWord(this.#block, FLAG, ALL);
  }

  /** Resets the flag; later wait() calls wait again. */
  clear(): void {
    Atomics.store(this.#block.words, FLAG, 0);
  }

  /**
   * Waits until the flag is set, or `timeout` ms pass; resolves to the flag (Python's return
   * value). Rejects with `signal.reason` when `signal` aborts first.
   */
  async wait(timeout?: number | null, options?: WaitOptions): Promise<boolean> {
    const timeoutMs = checkTimeout('Event.wait: "timeout"', timeout);
    const signal = checkWaitOptions('Event.wait', options);
    for (let spin = 0; spin < SPIN_LIMIT; spin++) if (Atomics.load(this.#block.words, FLAG) === 1) return true;
    const deadline = Deadline.after(timeoutMs);
    while (!this.isSet()) {
      if (deadline.passed()) return false;
      await waitWordAbortable(this.#block, FLAG, 0, deadline.remaining(), signal);
    }
    return true;
  }

  toString(): string {
    return `<Event ${this.isSet() ? 'set' : 'unset'}>`;
  }
}

registerSharedType(
  'event',
  Event,
  () => null,
  (adoption) => Event.fromRecord(adoption),
);
