// `{ signal }` on the waits of this API: checked as an option, and raced against a wait so that
// aborting rejects it with signal.reason (an AbortError DOMException unless the caller gave another).

import { checkOptionsObject, invalidType } from './validate.js';

/** Checks a `signal` option: undefined, or an AbortSignal. */
export function checkSignal(where: string, value: unknown): AbortSignal | undefined {
  if (value === undefined || value === null) return undefined;
  if (!(value instanceof AbortSignal)) throw invalidType(where, 'an AbortSignal', value);
  return value;
}

/** The options of a wait whose timeout is positional: `wait(timeout?, { signal }?)`. */
export interface WaitOptions {
  /** Abort the wait: its promise rejects with `signal.reason`. */
  signal?: AbortSignal | null;
}

/** Checks a wait's `{ signal }` options object (`where`: "Process.join") and returns the signal. */
export function signalOption(where: string, options: WaitOptions | undefined | null): AbortSignal | undefined {
  if (options === undefined || options === null) return undefined;
  checkOptionsObject(`${where}: "options"`, options);
  return checkSignal(`${where}: "signal"`, options.signal);
}

/** Like signalOption, and throws the signal's reason when it is already aborted. */
export function checkWaitOptions(where: string, options: WaitOptions | undefined): AbortSignal | undefined {
  const signal = signalOption(where, options);
  throwIfAborted(signal);
  return signal;
}

/** What an aborted wait rejects with. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Throws signal.reason when the signal is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/**
 * A promise that rejects when `signal` aborts (never without a signal); stop() removes the
 * listener once the wait is over, so a long-lived signal does not collect listeners.
 */
export function whenAborted(signal: AbortSignal | undefined): { readonly aborted: Promise<never>; stop(): void } {
  if (!signal) return { aborted: new Promise<never>(() => {}), stop: () => {} };
  let stop = () => {};
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) return reject(abortReason(signal));
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    stop = () => signal.removeEventListener('abort', onAbort);
  });
  aborted.catch(() => {}); // a rejection nobody raced is not an unhandled one
  return { aborted, stop: () => stop() };
}

/** Settles as `promise` does, or rejects with signal.reason when the signal aborts first. */
export async function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  const abort = whenAborted(signal);
  try {
    return await Promise.race([promise, abort.aborted]);
  } finally {
    abort.stop();
  }
}
