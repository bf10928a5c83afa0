// The lock words of a channel (channel.ts): writers serialize on one, readers on another. A lock
// word holds its holder's pid, and the thread id + 1 sits THREAD_DISTANCE words further on; a
// holder that died (a process whose pid is gone, a thread of this process terminated mid-copy)
// is taken over. Held only while one record is copied, so waiting blocks the thread.

import { threadId } from 'node:worker_threads';
import type { NativeBinding } from '../native/binding.js';
import { isThreadAlive } from '../process/thread-liveness.js';
import type { SharedBlock } from '../memory/arena.js';
import { isProcessAlive } from '../sync/waiting.js';

/** Beside each lock word, the holder's thread id + 1 (0: not written yet), this many words further on. */
const THREAD_DISTANCE = 6;
const SPINS = 2_000;
const LIVENESS_CHECK_MS = 100;
/** The largest pid Linux hands out (pid_max's ceiling): a lock word above it was not written by a holder. */
const MAX_PID = 2 ** 22;
const ALL = 2 ** 31 - 1;

export class ChannelLocks {
  readonly #native: NativeBinding;
  readonly #block: SharedBlock;
  /** The word counting threads parked on either lock. */
  readonly #waiters: number;

  constructor(native: NativeBinding, block: SharedBlock, waitersIndex: number) {
    this.#native = native;
    this.#block = block;
    this.#waiters = waitersIndex;
  }

  /** Takes the lock word at `index`: a spin, then futex waits that check the holder is alive. */
  take(index: number): void {
    const words = this.#block.words;
    for (let spin = 0; ; spin++) {
      const holder = Atomics.compareExchange(words, index, 0, process.pid);
      if (holder === 0) {
        Atomics.store(words, index + THREAD_DISTANCE, threadId + 1);
        return;
      }
      if (spin < SPINS) continue;
      if (this.#releaseIfHolderDied(index, holder)) continue;
      Atomics.add(words, this.#waiters, 1);
      this.#native.futexWait(this.#block.buffer, this.#block.byteOffset + index * 4, holder, LIVENESS_CHECK_MS);
      Atomics.sub(words, this.#waiters, 1);
    }
  }

  /**
   * Frees a lock whose holder died: a process (its pid is gone) or a thread of this process
   * (terminated mid-copy; its pid lives on). Of several waiters that see the same dead thread,
   * only the one that clears its thread word frees the lock. A word that is no pid at all (the
   * block was overwritten) is freed too: asking whether "process -5" lives would ask about a
   * process group, and readers would wait for it forever.
   */
  #releaseIfHolderDied(index: number, holder: number): boolean {
    const words = this.#block.words;
    if (holder < 0 || holder > MAX_PID) {
      Atomics.compareExchange(words, index, holder, 0);
      return true;
    }
    if (holder !== process.pid) {
      if (isProcessAlive(holder)) return false;
      Atomics.compareExchange(words, index, holder, 0);
      return true;
    }
    const thread = Atomics.load(words, index + THREAD_DISTANCE);
    if (thread === 0 || isThreadAlive(thread - 1)) return false;
    if (Atomics.compareExchange(words, index + THREAD_DISTANCE, thread, 0) === thread) Atomics.store(words, index, 0);
    return true;
  }

  release(index: number): void {
    const words = this.#block.words;
    Atomics.store(words, index + THREAD_DISTANCE, 0);
    Atomics.store(words, index, 0);
    if (Atomics.load(words, this.#waiters) !== 0) {
      this.#native.futexWake(this.#block.buffer, this.#block.byteOffset + index * 4, ALL);
    }
  }
}
