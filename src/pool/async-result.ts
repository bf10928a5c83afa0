// AsyncResult: Python's ApplyResult / MapResult. A handle on work in flight whose outcome can
// be awaited with a timeout, polled with ready()/successful(), or awaited directly (thenable).

import { InvalidStateError, TimeoutError } from '../base/errors.js';
import { checkTimeout } from '../base/validate.js';

type Outcome<R> = { readonly isOk: true; readonly value: R } | { readonly isOk: false; readonly error: unknown };

/** Work in flight in a pool (returned by applyAsync, mapAsync, starmapAsync). */
export class AsyncResult<R> implements PromiseLike<R> {
  #outcome: Outcome<R> | null = null;
  readonly #settled: Promise<void>;
  #markSettled!: () => void;

  /** @internal Created by the pool; settled by it through resolve()/reject(). */
  constructor() {
    this.#settled = new Promise((resolve) => {
      this.#markSettled = resolve;
    });
  }

  /** @internal */
  resolve(value: R): void {
    if (this.#outcome) return;
    this.#outcome = { isOk: true, value };
    this.#markSettled();
  }

  /** @internal */
  reject(error: unknown): void {
    if (this.#outcome) return;
    this.#outcome = { isOk: false, error };
    this.#markSettled();
  }

  /**
   * The result, once ready; rejects with the task's error, or with TimeoutError when `timeout`
   * (ms) passes first (the work goes on: call get() again later).
   */
  async get(timeout?: number | null): Promise<R> {
    const timeoutMs = checkTimeout('AsyncResult.get: "timeout"', timeout);
    if (!(await this.#waitFor(timeoutMs))) {
      throw new TimeoutError(`AsyncResult.get: the result was not ready within ${timeoutMs} ms.`);
    }
    const outcome = this.#outcome!;
    if (outcome.isOk) return outcome.value;
    throw outcome.error;
  }

  /** Waits until the result is ready, or `timeout` (ms) has passed. Never rejects for the task's error. */
  async wait(timeout?: number | null): Promise<void> {
    await this.#waitFor(checkTimeout('AsyncResult.wait: "timeout"', timeout));
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

  async #waitFor(timeoutMs: number | undefined): Promise<boolean> {
    if (this.#outcome) return true;
    if (timeoutMs === undefined) {
      await this.#settled;
      return true;
    }
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => {
      timer = setTimeout(resolve, timeoutMs, false);
    });
    try {
      await Promise.race([this.#settled, expired]);
    } finally {
      clearTimeout(timer);
    }
    return this.#outcome !== null;
  }
}
