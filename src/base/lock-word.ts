// A lock word over shared memory, used by every lock of multiproc (Lock, RLock, the locks of
// channels): 64 bits naming the holder thread, its OS thread id (tid) in the high half and its
// start time in the low half (liveness.ts), 0 when free. Taking is one compare-and-swap of the
// whole pair, so holder and start time are never seen half-written. A waiter wakes now and then
// to ask /proc whether the holder still lives; a holder that died (a process SIGKILLed, a
// worker thread terminated or ended by process.exit) is taken over by exactly one waiter, the
// one whose compare-and-swap from the dead pair wins. Any process can tell, since the tid is
// global. Waits park on the tid half (a futex or Atomics wait, which are 32-bit).

import { throwIfAborted } from './abort.js';
import type { Deadline } from './deadline.js';
import { holdEventLoop } from './keep-alive.js';
import { isThreadAlive, MAX_TID, type ThreadIdentity, thisThread } from './liveness.js';
import { type WordBlock, waitWordAbortable, waitWordSync, wakeWord } from './word-wait.js';

/** How often an async waiter checks that the holder is still alive. */
const LIVENESS_CHECK_MS = 250;
/** The same for a thread blocked on a lock held only while one record is copied. */
const SYNC_LIVENESS_CHECK_MS = 100;
/** Loads of the word before parking: a hand-off between busy threads is caught without a syscall. */
const SPIN_LIMIT = 200;
const SYNC_SPIN_LIMIT = 2_000;

let ownPair: bigint | undefined;

/** This thread's holder pair, computed once per thread. */
function mine(): bigint {
  if (ownPair === undefined) {
    const { tid, start } = thisThread();
    ownPair = (BigInt(tid) << 32n) | BigInt(start >>> 0);
  }
  return ownPair;
}

function tidOf(pair: bigint): number {
  return Number(BigInt.asIntN(32, pair >> 32n));
}

/** The words a lock word takes: two, starting at an even index (8-byte aligned), little-endian. */
export const LOCK_WORD_WORDS = 2;

export class LockWord {
  readonly #block: WordBlock;
  readonly #pair: BigInt64Array;
  /** The 32-bit half that holds the tid: waits park on it. */
  readonly #tidIndex: number;
  readonly #waitersIndex: number;

  /** The lock word at words `at`, `at + 1` of `block` (`at` even); waiters are counted at `waitersIndex`. */
  constructor(block: WordBlock, at: number, waitersIndex: number) {
    if (at % 2 !== 0) throw new RangeError(`LockWord: word index ${at} is not 8-byte aligned`);
    this.#block = block;
    this.#pair = new BigInt64Array(block.buffer, block.byteOffset + at * 4, 1);
    this.#tidIndex = at + 1; // little-endian: the high half is the second word
    this.#waitersIndex = waitersIndex;
  }

  /** One compare-and-swap: true when the lock was free and is now this thread's. */
  tryTake(): boolean {
    return Atomics.compareExchange(this.#pair, 0, 0n, mine()) === 0n;
  }

  /** Takes the lock if it is free or its holder is dead; false while a live holder has it. */
  tryTakeOrTakeOver(): boolean {
    const holder = Atomics.load(this.#pair, 0);
    if (holder !== 0n && isHolderAlive(holder)) return false;
    return Atomics.compareExchange(this.#pair, 0, holder, mine()) === holder;
  }

  /**
   * Takes the lock, waiting until it is free or its holder has died: true once taken, false when
   * `deadline` passes first; rejects with the signal's reason when it aborts first (and then never
   * takes the lock). Holds the event loop open while it waits.
   */
  async take(deadline: Deadline, signal?: AbortSignal): Promise<boolean> {
    throwIfAborted(signal);
    for (let spin = 0; spin < SPIN_LIMIT; spin++) {
      if (Atomics.load(this.#pair, 0) === 0n && this.tryTake()) return true;
    }
    const words = this.#block.words;
    const release = holdEventLoop();
    Atomics.add(words, this.#waitersIndex, 1);
    try {
      for (;;) {
        throwIfAborted(signal);
        const holder = Atomics.load(this.#pair, 0);
        if (holder === 0n || !isHolderAlive(holder)) {
          if (Atomics.compareExchange(this.#pair, 0, holder, mine()) === holder) return true;
          continue;
        }
        if (deadline.passed()) return false;
        await waitWordAbortable(this.#block, this.#tidIndex, tidOf(holder), deadline.remainingAtMost(LIVENESS_CHECK_MS), signal);
      }
    } finally {
      Atomics.sub(words, this.#waitersIndex, 1);
      release();
    }
  }

  /** Takes the lock, blocking this thread: for locks held only for a moment (a record's copy). */
  takeSync(): void {
    for (let spin = 0; spin < SYNC_SPIN_LIMIT; spin++) {
      if (Atomics.load(this.#pair, 0) === 0n && this.tryTake()) return;
    }
    const words = this.#block.words;
    for (;;) {
      if (this.tryTakeOrTakeOver()) return;
      const holder = Atomics.load(this.#pair, 0);
      if (holder === 0n) continue;
      Atomics.add(words, this.#waitersIndex, 1);
      try {
        waitWordSync(this.#block, this.#tidIndex, tidOf(holder), SYNC_LIVENESS_CHECK_MS);
      } finally {
        Atomics.sub(words, this.#waitersIndex, 1);
      }
    }
  }

  /** Frees the lock whoever holds it; false when it was not held. Wakes `wake` waiters. */
  release(wake = 1): boolean {
    if (Atomics.exchange(this.#pair, 0, 0n) === 0n) return false;
    if (Atomics.load(this.#block.words, this.#waitersIndex) > 0) wakeWord(this.#block, this.#tidIndex, wake);
    return true;
  }

  /** True when this thread holds the lock. */
  isMine(): boolean {
    return Atomics.load(this.#pair, 0) === mine();
  }

  /** Who holds the lock now (null: nobody). */
  holder(): ThreadIdentity | null {
    const pair = Atomics.load(this.#pair, 0);
    if (pair === 0n) return null;
    return { tid: tidOf(pair), start: Number(BigInt.asUintN(32, pair)) };
  }
}

/** A pair that names no thread (the memory was overwritten) counts as dead: nobody would release it. */
function isHolderAlive(pair: bigint): boolean {
  const tid = tidOf(pair);
  if (tid <= 0 || tid > MAX_TID) return false;
  return isThreadAlive(tid, Number(BigInt.asUintN(32, pair)));
}
