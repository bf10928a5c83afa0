// Who a manager call comes from: one client link, i.e. one socket connection, or one client of
// the tree's shared request queue. Python's manager serves each connection on a thread of its
// own, and a proxy connects once per thread of its process, so a lock owned "by the thread"
// there is owned by the client link: here a Caller. The server makes one per link, from its own
// side of it (server.ts, shared-calls.ts), never from bytes the client sends, so no client can
// act as another. Each thread of a client process has its own link (client.ts is per thread).

import { Holder } from './references.js';

/** One client link of the manager: its references, and what to undo when it goes away. */
export class Caller {
  /** The proxies this client holds (references.ts). */
  readonly holder = new Holder();
  readonly #undoWhenGone = new Set<() => void>();
  #isGone = false;

  /** True once its link closed (its process or thread ended, or it disconnected). */
  get isGone(): boolean {
    return this.#isGone;
  }

  /**
   * Runs `undo` when this client goes away (a lock it holds is released, its waits end); the
   * returned function cancels that, once the thing is undone otherwise.
   */
  whenGone(undo: () => void): () => void {
    this.#undoWhenGone.add(undo);
    return () => this.#undoWhenGone.delete(undo);
  }

  /** Its link closed: everything registered with whenGone() runs, once. */
  leave(): void {
    if (this.#isGone) return;
    this.#isGone = true;
    // One at a time from the set itself: an undo may cancel another (a waiter handed a lock).
    for (const undo of this.#undoWhenGone) {
      this.#undoWhenGone.delete(undo);
      undo();
    }
  }
}

/** Marks a managed class whose exposed methods take the Caller first (object-table.ts passes it). */
export const TAKES_CALLER = Symbol('multiproc.manager.takesCaller');

/** Whether the methods of `object` want to know who calls them. */
export function takesCaller(object: object): boolean {
  return (object as { [TAKES_CALLER]?: unknown })[TAKES_CALLER] === true;
}
