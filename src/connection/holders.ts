// Which processes and threads hold an object that lives in shared memory (an end of a pipe, a
// queue), so that a reader learns when no writer is left (EOFError) and the last holder of a
// channel can free its memory. A slot is two words, the holder's pid and its thread id (with a
// bit marking a provisional holder); a holder that died without unregistering (SIGKILL, a
// terminated thread) is recognised as dead and its slot is reclaimed.

import { threadId } from 'node:worker_threads';
import { isThreadAlive } from '../process/thread-liveness.js';
import { isProcessAlive } from '../sync/waiting.js';

/** Set when the creator of an end registers it before anyone else received it. */
const PROVISIONAL = 1 << 30;
/** Set on a slot that stands for a copy on its way to another process (mark = IN_FLIGHT | token). */
const IN_FLIGHT = 1 << 29;
const FLAGS = PROVISIONAL | IN_FLIGHT;
const SLOT_WORDS = 2;

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
    this.#claim(threadId | (provisional ? PROVISIONAL : 0));
  }

  /**
   * Counts a copy that is being sent, until its receiver registers (clearInFlight) or its
   * sender gives it up: without it, a parent that closes its copy right after starting the
   * child would see EOF before the child has even read its arguments.
   */
  markInFlight(): InFlight {
    const token = (Math.random() * 2 ** 28) >>> 0;
    this.#claim(IN_FLIGHT | token);
    return { pid: process.pid, token };
  }

  clearInFlight(copy: InFlight): void {
    const words = this.#words;
    for (let slot = this.#first; slot < this.#end; slot += SLOT_WORDS) {
      if (Atomics.load(words, slot) === copy.pid && Atomics.load(words, slot + 1) === (IN_FLIGHT | copy.token)) {
        Atomics.store(words, slot + 1, 0);
        Atomics.store(words, slot, 0);
        return;
      }
    }
  }

  get #end(): number {
    return this.#first + this.#slots * SLOT_WORDS;
  }

  #claim(mark: number): void {
    const words = this.#words;
    for (let attempt = 0; attempt < 2; attempt++) {
      for (let slot = this.#first; slot < this.#end; slot += SLOT_WORDS) {
        if (Atomics.compareExchange(words, slot, 0, process.pid) === 0) {
          Atomics.store(words, slot + 1, mark);
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
    if (slot >= 0) Atomics.and(this.#words, slot + 1, ~PROVISIONAL);
  }

  unregister(): void {
    const slot = this.#slotOfThisThread();
    if (slot < 0) return;
    Atomics.store(this.#words, slot + 1, 0);
    Atomics.store(this.#words, slot, 0);
  }

  /** True while a holder that counts (this thread included) is alive, or a copy is on its way. */
  hasLiveHolder(): boolean {
    const words = this.#words;
    const isAdopted = Atomics.load(words, this.#adoptions) > 0;
    for (let slot = this.#first; slot < this.#end; slot += SLOT_WORDS) {
      const pid = Atomics.load(words, slot);
      if (pid === 0) continue;
      const mark = Atomics.load(words, slot + 1);
      if ((mark & PROVISIONAL) !== 0 && isAdopted) continue;
      if ((mark & IN_FLIGHT) !== 0 ? isProcessAlive(pid) : isHolderAlive(pid, mark & ~FLAGS)) return true;
    }
    return false;
  }

  #slotOfThisThread(): number {
    const words = this.#words;
    for (let slot = this.#first; slot < this.#end; slot += SLOT_WORDS) {
      if (Atomics.load(words, slot) === process.pid && (Atomics.load(words, slot + 1) & ~PROVISIONAL) === threadId) return slot;
    }
    return -1;
  }

  #reclaimDead(): void {
    const words = this.#words;
    for (let slot = this.#first; slot < this.#end; slot += SLOT_WORDS) {
      const pid = Atomics.load(words, slot);
      const mark = Atomics.load(words, slot + 1);
      const isAlive = (mark & IN_FLIGHT) !== 0 ? isProcessAlive(pid) : isHolderAlive(pid, mark & ~FLAGS);
      if (pid !== 0 && !isAlive) {
        Atomics.compareExchange(words, slot, pid, 0);
      }
    }
  }
}

function isHolderAlive(pid: number, thread: number): boolean {
  if (pid === process.pid) return isThreadAlive(thread);
  return isProcessAlive(pid);
}
