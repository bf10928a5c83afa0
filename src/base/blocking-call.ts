// A blocking system call run on one of the addon's waiting threads, as a promise that a timeout
// or an AbortSignal can end early. Ending one interrupts its thread: the system call returns
// having done nothing (no message taken, no lock held), and the promise rejects with
// TimeoutError or the signal's reason. A call that completed just as it was interrupted resolves
// with its result instead, so nothing it took is ever lost.

import type { BlockingCallId } from '../native/binding.js';
import { loadNative } from '../native/loader.js';
import { abortReason, throwIfAborted } from './abort.js';
import { TimeoutError } from './errors.js';

/** How long a call may wait, and what may end it. */
export interface BlockingCallLimits {
  /** Milliseconds (undefined: forever). */
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Starts a blocking call with `start` (an addon function given the outcome callback, returning the
 * call's id) and settles with its outcome. `what` names the wait in the TimeoutError
 * ("PosixSemaphore.wait(/jobs)"). Errors from the call itself (EACCES...) reject as they come.
 */
export function blockingCall<T>(
  what: string,
  limits: BlockingCallLimits,
  start: (callback: (outcome: T | Error) => void) => BlockingCallId,
): Promise<T> {
  const { timeoutMs, signal } = limits;
  throwIfAborted(signal);
  return new Promise<T>((resolve, reject) => {
    let endedBy: 'timeout' | 'abort' | undefined;
    let timer: NodeJS.Timeout | undefined;
    const stop = (reason: 'timeout' | 'abort') => {
      endedBy ??= reason;
      loadNative()?.interruptBlockingCall(id);
    };
    const onAbort = () => stop('abort');
    const id = start((outcome) => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (!(outcome instanceof Error)) return resolve(outcome);
      if ((outcome as NodeJS.ErrnoException).code !== 'EINTR' || endedBy === undefined) return reject(outcome);
      if (endedBy === 'abort' && signal) return reject(abortReason(signal));
      reject(new TimeoutError(`${what}: not done within ${timeoutMs} ms.`));
    });
    // The pending call holds the event loop open by itself; the timer must not add to that.
    if (timeoutMs !== undefined) timer = setTimeout(() => stop('timeout'), timeoutMs).unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
