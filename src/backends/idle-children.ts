// Warm children waiting to be used, each ended after a while without use, so that an idle
// program holds none. Two caches keep them: the backends' spares (spares.ts: children booted
// before they have a role, for the next Process starts) and the pools' park (pool/worker-park.ts:
// pool workers of a closed pool, for the next pool). They hold different children for different
// users, so they stay two; this is the list with idle timers they share.

export class IdleChildren<Child> {
  /** Each waiting child and the timer that ends it; oldest first (Map keeps insertion order). */
  readonly #timers = new Map<Child, NodeJS.Timeout>();
  readonly #idleMs: number;

  constructor(idleMs: number) {
    this.#idleMs = idleMs;
  }

  get size(): number {
    return this.#timers.size;
  }

  /** Keeps `child` for the next take(); unless taken or removed first, `expire` ends it after the idle time. */
  add(child: Child, expire: () => void): void {
    // Unref'd: a waiting child never keeps the program alive.
    const timer = setTimeout(() => {
      this.#timers.delete(child);
      expire();
    }, this.#idleMs);
    timer.unref();
    this.#timers.set(child, timer);
  }

  /** The oldest waiting child that `isUsable` accepts, no longer kept; the rejected ones are dropped. */
  take(isUsable: (child: Child) => boolean = () => true): Child | undefined {
    for (const child of this.#timers.keys()) {
      this.remove(child);
      if (isUsable(child)) return child;
    }
    return undefined;
  }

  /** Stops keeping `child` (it exited, or a caller took it); false when it was not kept. */
  remove(child: Child): boolean {
    const timer = this.#timers.get(child);
    if (timer === undefined) return false;
    clearTimeout(timer);
    this.#timers.delete(child);
    return true;
  }
}
