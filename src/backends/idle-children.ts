// Warm children waiting to be used, each ended after a while without use, so that an idle
// program holds none. Two caches keep them: the backends' spares (spares.ts: children booted
// before they have a role, for the next Process starts) and the pools' park (pool/worker-park.ts:
// pool workers of a closed pool, for the next pool). They hold different children for different
// users, so they stay two; this is the list with idle timers they share.

/**
 * Where each IdleChildren list registers a way to end its waiting children at once, for test
 * harnesses that check a test file left no child behind (they would otherwise wait out the idle
 * time). Global, so that every copy of this module in a process is reached.
 */
const EXPIRE_ALL = Symbol.for('multiproc.expireIdleChildren');

function expiryHooks(): Set<() => void> {
  const holder = globalThis as { [EXPIRE_ALL]?: Set<() => void> };
  holder[EXPIRE_ALL] ??= new Set();
  return holder[EXPIRE_ALL];
}

export class IdleChildren<Child> {
  /** Each waiting child, the timer that ends it and how; oldest first (Map keeps insertion order). */
  readonly #waiting = new Map<Child, { timer: NodeJS.Timeout; expire: () => void }>();
  readonly #idleMs: number;

  constructor(idleMs: number) {
    this.#idleMs = idleMs;
    expiryHooks().add(() => this.expireAll());
  }

  get size(): number {
    return this.#waiting.size;
  }

  /** Keeps `child` for the next take(); unless taken or removed first, `expire` ends it after the idle time. */
  add(child: Child, expire: () => void): void {
    // Unref'd: a waiting child never keeps the program alive.
    const timer = setTimeout(() => {
      this.#waiting.delete(child);
      expire();
    }, this.#idleMs);
    timer.unref();
    this.#waiting.set(child, { timer, expire });
  }

  /** The oldest waiting child that `isUsable` accepts, no longer kept; the rejected ones are dropped. */
  take(isUsable: (child: Child) => boolean = () => true): Child | undefined {
    for (const child of this.#waiting.keys()) {
      this.remove(child);
      if (isUsable(child)) return child;
    }
    return undefined;
  }

  /** Ends every waiting child now, as if its idle time had passed. */
  expireAll(): void {
    for (const [child, { expire }] of [...this.#waiting]) {
      this.remove(child);
      expire();
    }
  }

  /** Stops keeping `child` (it exited, or a caller took it); false when it was not kept. */
  remove(child: Child): boolean {
    const waiting = this.#waiting.get(child);
    if (waiting === undefined) return false;
    clearTimeout(waiting.timer);
    this.#waiting.delete(child);
    return true;
  }
}
