// The lock words of a channel (channel.ts): writers serialize on one, readers on another. Each is
// a lock word of base/lock-word.ts (the holder thread's id and start time), so a holder that died
// mid-copy (a process whose pid is gone, a worker thread terminated or ended by process.exit) is
// taken over, from any process. Held only while one record is copied, so waiting blocks the thread.

import { LockWord } from '../base/lock-word.js';
import type { WordBlock } from '../base/word-wait.js';

const ALL = 2 ** 31 - 1;

export class ChannelLocks {
  readonly #block: WordBlock;
  /** The word counting threads parked on either lock. */
  readonly #waiters: number;
  readonly #words = new Map<number, LockWord>();

  constructor(block: WordBlock, waitersIndex: number) {
    this.#block = block;
    this.#waiters = waitersIndex;
  }

  /** The lock word at words `index`, `index + 1` (`index` even). */
  #word(index: number): LockWord {
    let word = this.#words.get(index);
    if (!word) {
      word = new LockWord(this.#block, index, this.#waiters);
      this.#words.set(index, word);
    }
    return word;
  }

  /** Takes the lock word at `index`: a spin, then blocking waits that check the holder is alive. */
  take(index: number): void {
    this.#word(index).takeSync();
  }

  /** Frees it and wakes its waiters: parked readers and writers share one count of waiters. */
  release(index: number): void {
    this.#word(index).release(ALL);
  }
}
