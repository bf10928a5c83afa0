// Future: Python's concurrent.futures.Future. A call's eventual outcome, with Python's four
// states (pending, running, cancelled, finished). It is not a thenable, as in Python: await
// `future.result()`, or let asCompleted() and futures.wait() hand futures over as they finish.

import { CancelledError, InvalidStateError, TimeoutError } from '../base/errors.js';
import { checkFunction, checkTimeout } from '../base/validate.js';
import { Deadline } from '../base/deadline.js';
import { keepAlive } from '../base/keep-alive.js';

type State = 'pending' | 'running' | 'cancelled' | 'finished';

export type DoneCallback<R> = (future: Future<R>) => void;

/**
 * The eventual outcome of `executor.submit(fn, ...args)`.
 *
 * @example
 * const future = executor.submit(square, 7);
 * future.addDoneCallback((done) => console.log('finished'));
 * console.log(await future.result()); // 49
 */
export class Future<R = unknown> {
  #state: State = 'pending';
  #value: R | undefined;
  #error: Error | undefined;
  #callbacks: DoneCallback<R>[] = [];
  /** Made when first awaited: most futures of a busy executor are only looked at once done. */
  #settled: Promise<void> | null = null;
  #markSettled: (() => void) | null = null;

  /** Cancels the call if it has not started: true when it is (now) cancelled. */
  cancel(): boolean {
    if (this.#state === 'cancelled') return true;
    if (this.#state !== 'pending') return false;
    this.#state = 'cancelled';
    this.#settle();
    return true;
  }

  cancelled(): boolean {
    return this.#state === 'cancelled';
  }

  /** True while the call runs (it was handed to a worker and has not finished). */
  running(): boolean {
    return this.#state === 'running';
  }

  /** True once the call finished or was cancelled. */
  done(): boolean {
    return this.#state === 'cancelled' || this.#state === 'finished';
  }

  /**
   * The call's result, waiting up to `timeout` ms (TimeoutError; the call goes on). Rejects with
   * the call's error, or CancelledError when it was cancelled.
   */
  async result(timeout?: number | null): Promise<R> {
    await this.#waitUntilDone('Future.result', timeout);
    if (this.#state === 'cancelled') throw new CancelledError('Future.result: the future was cancelled.');
    if (this.#error !== undefined) throw this.#error;
    return this.#value as R;
  }

  /** The call's error, or null when it succeeded; waits like result(). */
  async exception(timeout?: number | null): Promise<Error | null> {
    await this.#waitUntilDone('Future.exception', timeout);
    if (this.#state === 'cancelled') throw new CancelledError('Future.exception: the future was cancelled.');
    return this.#error ?? null;
  }

  /**
   * Calls `fn(future)` once the future is done (at once when it already is). An error thrown by
   * `fn` is reported on stderr, as Python logs it, and does not stop the other callbacks.
   */
  addDoneCallback(fn: DoneCallback<R>): void {
    checkFunction('Future.addDoneCallback: "fn"', fn);
    if (this.done()) this.#call(fn);
    else this.#callbacks.push(fn);
  }

  /**
   * Python's set_running_or_notify_cancel, for executor implementations and tests: false when
   * the future was cancelled (do not run the call), true when it is now running.
   */
  setRunningOrNotifyCancel(): boolean {
    if (this.#state === 'cancelled') return false;
    if (this.#state !== 'pending') throw new InvalidStateError(`Future: cannot start a ${this.#state} future.`);
    this.#state = 'running';
    return true;
  }

  /** Python's set_result, for executor implementations and tests: the future is done with `value`. */
  setResult(value: R): void {
    this.#finish('Future.setResult');
    this.#value = value;
    this.#settle();
  }

  /** Python's set_exception, for executor implementations and tests: the future is done with `error`. */
  setException(error: Error): void {
    this.#finish('Future.setException');
    this.#error = error;
    this.#settle();
  }

  /** @internal True once the call finished by throwing. */
  get failed(): boolean {
    return this.#state === 'finished' && this.#error !== undefined;
  }

  /** @internal Resolves once the future is done, whatever the outcome. */
  get settled(): Promise<void> {
    if (this.done()) return Promise.resolve();
    this.#settled ??= new Promise((resolve) => {
      this.#markSettled = resolve;
    });
    return this.#settled;
  }

  toString(): string {
    const outcome = this.#state !== 'finished' ? '' : this.#error ? ` raised ${this.#error.name}` : ' returned';
    return `<Future state=${this.#state}${outcome}>`;
  }

  #finish(where: string): void {
    if (this.done()) throw new InvalidStateError(`${where}: the future is already ${this.#state}.`);
    this.#state = 'finished';
  }

  #settle(): void {
    this.#markSettled?.();
    const callbacks = this.#callbacks;
    this.#callbacks = [];
    for (const callback of callbacks) this.#call(callback);
  }

  #call(callback: DoneCallback<R>): void {
    try {
      callback(this);
    } catch (error) {
      console.error(`exception calling callback for ${this}:`, error);
    }
  }

  async #waitUntilDone(where: string, timeout: number | null | undefined): Promise<void> {
    const timeoutMs = checkTimeout(`${where}: "timeout"`, timeout);
    if (this.done()) return;
    const deadline = Deadline.after(timeoutMs);
    try {
      // Held open while waiting: a program whose last act is `await future.result()` waits for it.
      await keepAlive(Promise.race([this.settled, deadline.expired()]));
    } finally {
      deadline.stop();
    }
    if (!this.done()) throw new TimeoutError(`${where}: not done within ${timeoutMs} ms.`);
  }
}
