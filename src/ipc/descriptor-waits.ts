// Waiting for a non-blocking descriptor without blocking the event loop: operations that found
// it not ready (EAGAIN) queue up, first come first served, and the addon's descriptor watch
// (uv_poll) says when to try them again. An operation is an attempt that either completes at
// once or returns null (not ready). A wait that times out or is aborted leaves its queue before
// its attempt runs again, so it has taken nothing (no message consumed, none sent). Used by
// PosixMessageQueue; any descriptor that poll understands can use it.

import { abortReason } from '../base/abort.js';
import { TimeoutError } from '../base/errors.js';
import type { FdEvents, FdWatchId, NativeBinding } from '../native/binding.js';

/** Which readiness an operation needs. */
export type Readiness = 'readable' | 'writable';

const READABLE = 1;
const WRITABLE = 2;

// The words of the control array shared with the addon's watch (fdWatchStart).
const WANTED = 0;
const ARMED = 1;
const IN_CALLBACK = 2;

/** How long an operation may wait, and what may end it. */
export interface WaitLimits {
  /** Milliseconds (undefined: forever). */
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * One try of an operation on the descriptor with its `input` (what to send, where to receive):
 * its result, or null when the descriptor is not ready (EAGAIN). A function kept by its caller
 * and given its input each time, so that a call costs no new closure.
 */
export type Attempt<I, T> = (input: I) => T | null;

/** An operation waiting for its turn. */
class Pending {
  readonly attempt: Attempt<unknown, unknown>;
  readonly input: unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
  /** Clears the timer and the abort listener, if the wait has them. */
  stop: () => void = () => {};

  constructor(attempt: Attempt<unknown, unknown>, input: unknown, resolve: (value: unknown) => void, reject: (reason: unknown) => void) {
    this.attempt = attempt;
    this.input = input;
    this.resolve = resolve;
    this.reject = reject;
  }
}

export class DescriptorWaits {
  readonly #native: NativeBinding;
  readonly #fd: number;
  readonly #readable: Pending[] = [];
  readonly #writable: Pending[] = [];
  #watch: FdWatchId | null = null;
  /** Shared with the addon's watch: what is wanted (written here), what is watched, whether its callback runs. */
  readonly #control = new Int32Array(new ArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  #closedReason: (() => unknown) | null = null;

  constructor(native: NativeBinding, fd: number) {
    this.#native = native;
    this.#fd = fd;
  }

  /**
   * Runs `attempt(input)` now if no earlier operation of the same readiness waits, else (or if
   * it returns null) when the descriptor is ready and its turn comes. `what` names the operation
   * in a TimeoutError ("PosixMessageQueue.receive(/jobs)"). An error thrown by `attempt` rejects.
   * An operation done at once costs one call of `attempt` and one settled promise: no watch is
   * touched, no closure made, which is what keeps a stream of messages fast.
   */
  run<I, T>(readiness: Readiness, what: string, limits: WaitLimits, attempt: Attempt<I, T>, input: I): Promise<T> {
    if (this.#closedReason !== null) return Promise.reject(this.#closedReason());
    if (limits.signal?.aborted) return Promise.reject(abortReason(limits.signal));
    if (this.#queueOf(readiness).length === 0) {
      let result: T | null;
      try {
        result = attempt(input);
      } catch (error) {
        return Promise.reject(error);
      }
      if (result !== null) return Promise.resolve(result);
    }
    return new Promise<T>((resolve, reject) => {
      const pending = new Pending(attempt as Attempt<unknown, unknown>, input, resolve as (value: unknown) => void, reject);
      this.#enqueue(readiness, what, limits, pending);
    });
  }

  #queueOf(readiness: Readiness): Pending[] {
    return readiness === 'readable' ? this.#readable : this.#writable;
  }

  #enqueue(readiness: Readiness, what: string, limits: WaitLimits, pending: Pending): void {
    const { timeoutMs, signal } = limits;
    if (timeoutMs !== undefined || signal !== undefined) {
      const leave = (reason: unknown) => {
        const queue = this.#queueOf(readiness);
        const at = queue.indexOf(pending);
        if (at < 0) return;
        queue.splice(at, 1);
        pending.stop();
        pending.reject(reason);
        this.#updateWatch();
      };
      // The watch holds the event loop while something waits; the timer must not add to that.
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => leave(new TimeoutError(`${what}: not done within ${timeoutMs} ms.`)), timeoutMs).unref();
      const onAbort = () => leave(abortReason(signal as AbortSignal));
      signal?.addEventListener('abort', onAbort, { once: true });
      pending.stop = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
    }
    this.#queueOf(readiness).push(pending);
    this.#updateWatch();
  }

  /** Fails every waiting operation with `reason()` and stops watching; later run() calls fail the same way. */
  close(reason: () => unknown): void {
    this.#closedReason = reason;
    this.#failAll(reason);
    if (this.#watch !== null) this.#native.fdWatchStop(this.#watch);
    this.#watch = null;
  }

  /** Runs the operations at the head of each ready queue until one finds the descriptor not ready. */
  #onReady(ready: FdEvents | Error): void {
    if (ready instanceof Error) {
      this.#watch = null; // the addon ended it
      this.#failAll(() => ready);
      return;
    }
    if (ready & READABLE) this.#drain(this.#readable);
    if (ready & WRITABLE) this.#drain(this.#writable);
    this.#updateWatch();
  }

  #drain(queue: Pending[]): void {
    while (queue.length > 0 && this.#closedReason === null) {
      const head = queue[0];
      let result: unknown;
      try {
        result = head.attempt(head.input);
      } catch (error) {
        queue.shift();
        head.stop();
        head.reject(error);
        continue;
      }
      if (result === null) return;
      queue.shift();
      head.stop();
      head.resolve(result);
    }
  }

  #failAll(reason: () => unknown): void {
    for (const queue of [this.#readable, this.#writable]) {
      for (const pending of queue.splice(0)) {
        pending.stop();
        pending.reject(reason());
      }
    }
  }

  /**
   * Asks the watch for the readiness that waiting operations need (nothing: the loop may end).
   * Asking for less inside the watch's callback is only written down: the addon applies it when
   * the callback has returned, and by then the caller's next wait has usually asked again.
   */
  #updateWatch(): void {
    if (this.#closedReason !== null) return;
    const wanted = (this.#readable.length > 0 ? READABLE : 0) | (this.#writable.length > 0 ? WRITABLE : 0);
    const control = this.#control;
    control[WANTED] = wanted;
    if (this.#watch === null) {
      if (wanted !== 0) this.#watch = this.#native.fdWatchStart(this.#fd, control, (ready) => this.#onReady(ready));
      return;
    }
    const armed = control[ARMED];
    if (wanted === armed || (control[IN_CALLBACK] === 1 && (wanted & ~armed) === 0)) return;
    this.#native.fdWatchSet(this.#watch);
  }
}
