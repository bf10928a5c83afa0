// One deadline for every wait that gives up after a timeout: the arithmetic (how long is left,
// has it passed) and, for waits that race a promise, a timer that resolves when it passes.
// Times are performance.now() milliseconds; no timeout means a deadline that never passes.

export class Deadline {
  /** When the deadline passes (performance.now() time); Infinity without a timeout. */
  readonly at: number;
  #timer: NodeJS.Timeout | undefined;
  #expired: Promise<void> | undefined;

  private constructor(at: number) {
    this.at = at;
  }

  /** A deadline `timeoutMs` from now (checked by checkTimeout); undefined: never. */
  static after(timeoutMs: number | undefined): Deadline {
    return new Deadline(timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeoutMs);
  }

  get isForever(): boolean {
    return this.at === Number.POSITIVE_INFINITY;
  }

  /** Milliseconds left (0 once passed); undefined for a deadline that never passes. */
  remaining(): number | undefined {
    return this.isForever ? undefined : Math.max(0, this.at - performance.now());
  }

  /** Like remaining(), but at most `capMs`: for waits that wake now and then to check something. */
  remainingAtMost(capMs: number): number {
    return Math.min(capMs, this.remaining() ?? capMs);
  }

  passed(): boolean {
    return performance.now() >= this.at;
  }

  /**
   * A promise that resolves when the deadline passes (never, without a timeout). Its timer is
   * unref'd: the wait that races it holds the event loop itself (keep-alive.ts). stop() clears it.
   */
  expired(): Promise<void> {
    if (this.#expired) return this.#expired;
    this.#expired = this.isForever
      ? new Promise<void>(() => {})
      : new Promise<void>((resolve) => {
          this.#timer = setTimeout(resolve, Math.max(0, this.at - performance.now()));
          this.#timer.unref();
        });
    return this.#expired;
  }

  /** Stops the timer of expired(), once the wait is over. */
  stop(): void {
    clearTimeout(this.#timer);
  }
}
