// Which processes and threads hold an object that lives in shared memory (an end of a pipe, a
// queue), so that a reader learns when no writer is left (EOFError) and the last holder of a
// channel can free its memory. A slot is three words: the holder thread's OS id (tid) and start
// time (base/liveness.ts), and a mark (a bit for a provisional holder); a slot standing for a copy
// in flight holds its sender's pid instead, and a token. A holder that died without
// unregistering (SIGKILL, a terminated thread, process.exit in a thread) is recognised as dead
// from any process, and its slot is reclaimed.

import { isProcessAlive, isThreadAlive, thisThread } from '../base/liveness.js';

/** Set when the creator of an end registers it before anyone else received it. */
const PROVISIONAL = 1 << 30;
/** Set on a slot that stands for a copy on its way to another process (mark = IN_FLIGHT | token). */
const IN_FLIGHT = 1 << 29;
const SLOT_WORDS = 3;
const ID = 0;
const START = 1;
const MARK = 2;
/** Word ID of a slot being reclaimed: no claimer takes it, no reader counts it. */
const RECLAIMING = -1;

/** A copy sent but not yet received: its sender's pid and the slot's token. */
export interface InFlight {
  readonly pid: number;
  readonly token: number;
}

/** Whether a received record's `copy` field is an InFlight (its pid and token are matched, never trusted). */
export function isInFlight(copy: unknown): copy is InFlight {
  if (typeof copy !== 'object' || copy === null) return false;
  const { pid, token } = copy as Record<string, unknown>;
  return Number.isInteger(pid) && Number.isInteger(token);
}

export interface HolderTableLayout {
  /** Word index of the table's first word; the first word counts adoptions by other holders. */
  readonly start: number;
  readonly slots: number;
}

/** Words a table of `slots` holders takes. */
export function holderTableWords(slots: number): number {
  return 1 + slots * SLOT_WORDS;
}

export class HolderTable {
  readonly #words: Int32Array;
  readonly #adoptions: number;
  readonly #first: number;
  readonly #slots: number;

  constructor(words: Int32Array, layout: HolderTableLayout) {
    this.#words = words;
    this.#adoptions = layout.start;
    this.#first = layout.start + 1;
    this.#slots = layout.slots;
  }

  /**
   * Registers this thread. A provisional holder (the creator of a pipe, which usually hands one
   * end to a child and never uses it) stops counting once another holder adopted the end,
   * unless it uses the end itself (confirm()): so the parent's recv() sees EOF when the child
   * that held the other end dies, as a Python program that closed its copy would.
   */
  register(provisional: boolean): void {
    if (!provisional) Atomics.add(this.#words, this.#adoptions, 1);
    const { tid, start } = thisThread();
    this.#claim(tid, start, provisional ? PROVISIONAL : 0);
  }

  /**
   * Counts a copy that is being sent, until its receiver registers (clearInFlight) or its
   * sender gives it up: without it, a parent that closes its copy right after starting the
   * child would see EOF before the child has even read its arguments.
   */
  markInFlight(): InFlight {
    const token = (Math.random() * 2 ** 28) >>> 0;
    this.#claim(process.pid, 0, IN_FLIGHT | token);
    return { pid: process.pid, token };
  }

  clearInFlight(copy: InFlight): void {
    const words = this.#words;
    for (let slot = this.#first; slot < this.#end; slot += SLOT_WORDS) {
      if (Atomics.load(words, slot + ID) === copy.pid && Atomics.load(words, slot + MARK) === (IN_FLIGHT | copy.token)) {
        this.#clear(slot);
        return;
      }
    }
  }

  get #end(): number {
    return this.#first + this.#slots * SLOT_WORDS;
  }

  /** Clears a slot: start and mark first, so whoever sees its id never sees an older holder's start. */
  #clear(slot: number): void {
    Atomics.store(this.#words, slot + MARK, 0);
    Atomics.store(this.#words, slot + START, 0);
    Atomics.store(this.#words, slot + ID, 0);
  }

  #claim(id: number, start: number, mark: number): void {
    const words = this.#words;
    for (let attempt = 0; attempt < 2; attempt++) {
      for (let slot = this.#first; slot < this.#end; slot += SLOT_WORDS) {
        if (Atomics.compareExchange(words, slot + ID, 0, id) === 0) {
          Atomics.store(words, slot + START, start);
          Atomics.store(words, slot + MARK, mark);
          return;
        }
      }
      this.#reclaimDead();
    }
    // Full of live holders: this one goes uncounted, which can only make EOF come later.
  }

  /** A provisional holder used the end: it counts from now on. */
  confirm(): void {
    const slot = this.#slotOfThisThread();
    if (slot >= 0) Atomics.and(this.#words, slot + MARK, ~PROVISIONAL);
  }

  unregister(): void {
    const slot = this.#slotOfThisThread();
    if (slot >= 0) this.#clear(slot);
  }

  /** True while a holder that counts (this thread included) is alive, or a copy is on its way. */
  hasLiveHolder(): boolean {
    const words = this.#words;
    const isAdopted = Atomics.load(words, this.#adoptions) > 0;
    for (let slot = this.#first; slot < this.#end; slot += SLOT_WORDS) {
      if (Atomics.load(words, slot + ID) <= 0) continue;
      if ((Atomics.load(words, slot + MARK) & PROVISIONAL) !== 0 && isAdopted) continue;
      if (this.#isSlotAlive(slot)) return true;
    }
    return false;
  }

  /**
   * Whether a slot's holder lives. A start of 0 is one not written yet (the claimer is between
   * its two stores): the tid alone answers then.
   */
  #isSlotAlive(slot: number): boolean {
    const words = this.#words;
    const id = Atomics.load(words, slot + ID);
    const start = Atomics.load(words, slot + START);
    if ((Atomics.load(words, slot + MARK) & IN_FLIGHT) !== 0) return isProcessAlive(id);
    return isThreadAlive(id, start);
  }

  #slotOfThisThread(): number {
    const words = this.#words;
    const { tid, start } = thisThread();
    for (let slot = this.#first; slot < this.#end; slot += SLOT_WORDS) {
      if (Atomics.load(words, slot + ID) !== tid || Atomics.load(words, slot + START) !== (start | 0)) continue;
      if ((Atomics.load(words, slot + MARK) & IN_FLIGHT) === 0) return slot;
    }
    return -1;
  }

  /** Frees the slots of dead holders; of several reclaimers, the one that marks a slot RECLAIMING clears it. */
  #reclaimDead(): void {
    const words = this.#words;
    for (let slot = this.#first; slot < this.#end; slot += SLOT_WORDS) {
      const id = Atomics.load(words, slot + ID);
      if (id <= 0 || this.#isSlotAlive(slot)) continue;
      if (Atomics.compareExchange(words, slot + ID, id, RECLAIMING) !== id) continue;
      Atomics.store(words, slot + MARK, 0);
      Atomics.store(words, slot + START, 0);
      Atomics.store(words, slot + ID, 0);
    }
  }
}
