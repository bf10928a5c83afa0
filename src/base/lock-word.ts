// A lock word over shared memory, used by every lock of multiproc (Lock, RLock, the locks of
// channels): 64 bits naming the holder thread, its OS thread id (tid) in the high half and its
// start time in the low half (liveness.ts), 0 when free. Taking is one compare-and-swap of the
// whole pair, so holder and start time are never seen half-written. A waiter wakes now and then
// to ask /proc whether the holder still lives; a holder that died (a process SIGKILLed, a
// worker thread terminated or ended by process.exit) is taken over by exactly one waiter, the
// one whose compare-and-swap from the dead pair wins. Any process can tell, since the tid is
// global.
//
// Waiters are counted in a word of their own. Two ways to wake them:
// - with a wake word (Lock, RLock: a lock that busy async flows take and release in a loop),
//   waiters park on that word, and a release wakes ONE of them, and only when no waiter it woke
//   earlier is still on its way to look at the lock (the waiters word's low bit says one is).
//   Without that bit every release would make a system call while a woken waiter waits for a
//   core, which is most of the time when workers outnumber cores. Releases bump the wake word
//   before waking, so a waiter that read it before looking at the lock never sleeps through a
//   release it missed.
// - without one (channel locks: held while one record is copied, waited for synchronously),
//   waiters park on the holder's tid half, and every release wakes as many as it is told.

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

/** The waiters word: bit 0 set while a waiter that a release woke has not looked at the lock yet... */
const WOKEN = 1;
/** ...and this much per waiter. */
const WAITER = 2;

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
  /** The 32-bit half that holds the tid. */
  readonly #tidIndex: number;
  readonly #waitersIndex: number;
  /** The wake word, or -1: waiters park on the tid half and every release wakes them. */
  readonly #wakeIndex: number;

  /**
   * The lock word at words `at`, `at + 1` of `block` (`at` even); waiters are counted at
   * `waitersIndex` and park on `wakeIndex` (omitted: on the holder's tid half; see above).
   */
  constructor(block: WordBlock, at: number, waitersIndex: number, wakeIndex?: number) {
    if (at % 2 !== 0) throw new RangeError(`LockWord: word index ${at} is not 8-byte aligned`);
    this.#block = block;
    this.#pair = new BigInt64Array(block.buffer, block.byteOffset + at * 4, 1);
    this.#tidIndex = at + 1; // little-endian: the high half is the second word
    this.#waitersIndex = waitersIndex;
    this.#wakeIndex = wakeIndex ?? -1;
    mine(); // read now, so that taking the lock never throws (multiproc needs /proc)
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
    if (this.#spin(SPIN_LIMIT)) return true;
    const words = this.#block.words;
    const release = holdEventLoop();
    Atomics.add(words, this.#waitersIndex, WAITER);
    let isTaken = false;
    try {
      // The holder's liveness is asked of /proc first, then only when a wait ran out: a
      // wake-up means a live thread released the lock.
      let isHolderSuspect = true;
      for (;;) {
        throwIfAborted(signal);
        const turn = this.#look();
        const holder = Atomics.load(this.#pair, 0);
        if (holder === 0n || (isHolderSuspect && !isHolderAlive(holder))) {
          isTaken = Atomics.compareExchange(this.#pair, 0, holder, mine()) === holder;
          if (isTaken) return true;
          continue;
        }
        if (deadline.passed()) return false;
        const timeoutMs = deadline.remainingAtMost(LIVENESS_CHECK_MS);
        const outcome = await waitWordAbortable(this.#block, this.#parkIndex(), this.#parkValue(holder, turn), timeoutMs, signal);
        isHolderSuspect = outcome === 'timed-out';
      }
    } finally {
      Atomics.sub(words, this.#waitersIndex, WAITER);
      if (!isTaken) this.#passWakeOn();
      release();
    }
  }

  /** Takes the lock, blocking this thread: for locks held only for a moment (a record's copy). */
  takeSync(): void {
    if (this.#spin(SYNC_SPIN_LIMIT)) return;
    const words = this.#block.words;
    Atomics.add(words, this.#waitersIndex, WAITER);
    try {
      let isHolderSuspect = true;
      for (;;) {
        const turn = this.#look();
        const holder = Atomics.load(this.#pair, 0);
        if (holder === 0n || (isHolderSuspect && !isHolderAlive(holder))) {
          if (Atomics.compareExchange(this.#pair, 0, holder, mine()) === holder) return;
          continue;
        }
        const outcome = waitWordSync(this.#block, this.#parkIndex(), this.#parkValue(holder, turn), SYNC_LIVENESS_CHECK_MS);
        isHolderSuspect = outcome === 'timed-out';
      }
    } finally {
      Atomics.sub(words, this.#waitersIndex, WAITER);
    }
  }

  /** Loads of the word, taking it when it is seen free: true once taken. */
  #spin(limit: number): boolean {
    for (let spin = 0; spin < limit; spin++) {
      if (Atomics.load(this.#pair, 0) === 0n && this.tryTake()) return true;
    }
    return false;
  }

  /**
   * A counted waiter is about to look at the lock: no woken waiter is on its way any more (the
   * next release may wake another), and the wake word as it was before the look, to park on.
   */
  #look(): number {
    if (this.#wakeIndex < 0) return 0;
    const words = this.#block.words;
    Atomics.and(words, this.#waitersIndex, ~WOKEN);
    return Atomics.load(words, this.#wakeIndex);
  }

  /**
   * A waiter gives up (aborted, or its wait failed): a release may have woken it just before,
   * and the lock may be free with others parked; the wake-up goes to one of them instead.
   */
  #passWakeOn(): void {
    if (this.#wakeIndex < 0) return;
    Atomics.and(this.#block.words, this.#waitersIndex, ~WOKEN);
    if (Atomics.load(this.#pair, 0) === 0n) this.#wakeWaiters(1);
  }

  #parkIndex(): number {
    return this.#wakeIndex < 0 ? this.#tidIndex : this.#wakeIndex;
  }

  /** The value a waiter parks on: the wake word as #look read it, or the holder's tid. */
  #parkValue(holder: bigint, turn: number): number {
    return this.#wakeIndex < 0 ? tidOf(holder) : turn;
  }

  /**
   * Frees the lock whoever holds it; false when it was not held. With a wake word, wakes one
   * waiter (unless one it woke is still on its way); without, wakes `wake` waiters.
   */
  release(wake = 1): boolean {
    if (Atomics.exchange(this.#pair, 0, 0n) === 0n) return false;
    if (Atomics.load(this.#block.words, this.#waitersIndex) !== 0) this.#wakeWaiters(wake);
    return true;
  }

  #wakeWaiters(wake: number): void {
    if (this.#wakeIndex < 0) {
      wakeWord(this.#block, this.#tidIndex, wake);
      return;
    }
    const words = this.#block.words;
    for (;;) {
      const waiters = Atomics.load(words, this.#waitersIndex);
      if (waiters < WAITER || (waiters & WOKEN) !== 0) return;
      if (Atomics.compareExchange(words, this.#waitersIndex, waiters, waiters | WOKEN) === waiters) break;
    }
    Atomics.add(words, this.#wakeIndex, 1);
    wakeWord(this.#block, this.#wakeIndex, 1);
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
