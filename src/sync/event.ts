// Event: Python's multiprocessing.Event. One shared word is the flag; set() stores 1 and wakes
// every waiter (in any process), wait() waits on the word while it is 0.

import type { SharedBlock } from '../memory/arena.js';
import { checkTimeout } from '../base/validate.js';
import { blockForNew, registerSharedType, type SharedWords } from './shared-words.js';
import { waitWord, wakeWord } from './waiting.js';

const FLAG = 0;
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
  readonly #block: SharedBlock = blockForNew(1);

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

  /** Waits until the flag is set, or `timeout` ms pass; resolves to the flag (Python's return value). */
  async wait(timeout?: number | null): Promise<boolean> {
    const timeoutMs = checkTimeout('Event.wait: "timeout"', timeout);
    for (let spin = 0; spin < SPIN_LIMIT; spin++) if (Atomics.load(this.#block.words, FLAG) === 1) return true;
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeoutMs;
    while (!this.isSet()) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) return false;
      await waitWord(this.#block, FLAG, 0, remaining === Number.POSITIVE_INFINITY ? undefined : remaining);
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
  () => new Event(),
);
