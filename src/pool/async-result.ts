// AsyncResult: Python's ApplyResult / MapResult. A handle on work in flight whose outcome can
// be awaited with a timeout, polled with ready()/successful(), or awaited directly (thenable).

import { raceAbort, type WaitOptions, signalOption, throwIfAborted } from '../base/abort.js';
import { Deadline } from '../base/deadline.js';
import { InvalidStateError, TimeoutError } from '../base/errors.js';
import { keepAlive } from '../base/keep-alive.js';
import { checkTimeout } from '../base/validate.js';

type Outcome<R> = { readonly isOk: true; readonly value: R } | { readonly isOk: false; readonly error: unknown };

/** @internal Settles an AsyncResult (the pool's jobs do); its first outcome wins, later ones are ignored. */
export let settleResult: <R>(result: AsyncResult<R>, outcome: Outcome<R>) => void;

/** Work in flight in a pool (returned by applyAsync, mapAsync, starmapAsync). */
export class AsyncResult<R> implements PromiseLike<R> {
  #outcome: Outcome<R> | null = null;
  readonly #settled: Promise<void>;
  #markSettled!: () => void;

  static {
    settleResult = (result, outcome) => result.#settle(outcome);
  }

  /** @internal Created by the pool; settled by it through settleResult(). */
  constructor() {
    this.#settled = new Promise((resolve) => {
      this.#markSettled = resolve;
    });
  }

  /**
   * The result, once ready; rejects with the task's error, or with TimeoutError when `timeout`
   * (ms) passes first (the work goes on: call get() again later). Aborting `signal` rejects with
   * its reason (the work goes on too). Holds the event loop open while it waits.
   */
  async get(timeout?: number | null, options?: WaitOptions): Promise<R> {
    const timeoutMs = checkTimeout('AsyncResult.get: "timeout"', timeout);
    const signal = signalOption('AsyncResult.get', options);
    if (!(await this.#waitFor(timeoutMs, signal))) {
      throw new TimeoutError(`AsyncResult.get: the result was not ready within ${timeoutMs} ms.`);
    }
    const outcome = this.#outcome!;
    if (outcome.isOk) return outcome.value;
    throw outcome.error;
  }

  /**
   * Waits until the result is ready, or `timeout` (ms) has passed. Never rejects for the task's
   * error; aborting `signal` rejects with its reason.
   */
  async wait(timeout?: number | null, options?: WaitOptions): Promise<void> {
    const timeoutMs = checkTimeout('AsyncResult.wait: "timeout"', timeout);
    await this.#waitFor(timeoutMs, signalOption('AsyncResult.wait', options));
  }

  /** True once the work has finished, successfully or not. */
  ready(): boolean {
    return this.#outcome !== null;
  }

  /** True when the work finished without error. Throws InvalidStateError while not ready. */
  successful(): boolean {
    if (!this.#outcome) {
      throw new InvalidStateError('AsyncResult.successful: the result is not ready yet; await wait() or check ready() first.');
    }
    return this.#outcome.isOk;
  }

  // biome-ignore lint/suspicious/noThenProperty: AsyncResult is a thenable by contract (SPEC §4)
  then<T1 = R, T2 = never>(
    onFulfilled?: ((value: R) => T1 | PromiseLike<T1>) | null,
    onRejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    return this.get().then(onFulfilled, onRejected);
  }

  #settle(outcome: Outcome<R>): void {
    if (this.#outcome) return;
    this.#outcome = outcome;
    this.#markSettled();
  }

  /** True once settled, false when the deadline passed first; the event loop is held meanwhile. */
  async #waitFor(timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<boolean> {
    throwIfAborted(signal);
    if (this.#outcome) return true;
    const deadline = Deadline.after(timeoutMs);
    try {
      await keepAlive(raceAbort(Promise.race([this.#settled, deadline.expired()]), signal));
    } finally {
      deadline.stop();
    }
    return this.#outcome !== null;
  }
}
