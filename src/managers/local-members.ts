// The members of a proxy that run in the proxy's own process, built on its calls: Python's
// AcquirerProxy.__enter__/__exit__ (here `hold()`, for `await using`) and ConditionProxy.wait_for
// (here `waitFor()`: a predicate cannot travel to the manager, so it runs here between waits).

import { Deadline } from '../base/deadline.js';
import { TimeoutError } from '../base/errors.js';
import { checkTimeout, invalidType } from '../base/validate.js';

/** A call to the proxy's object in the manager. */
export type CallOnObject = (method: string, args: unknown[]) => Promise<unknown>;

/** The type ids whose proxies are acquired and released (Python's AcquirerProxy and ConditionProxy). */
const ACQUIRERS = new Set(['Lock', 'RLock', 'Semaphore', 'BoundedSemaphore', 'Condition']);

/** The member `name` of a `typeid` proxy when it runs here; undefined when it is a call to the manager. */
export function localMember(typeid: string, name: string, call: CallOnObject): ((...args: never[]) => unknown) | undefined {
  if (name === 'hold' && ACQUIRERS.has(typeid)) return (options?: unknown) => hold(typeid, call, options);
  if (name === 'waitFor' && typeid === 'Condition') return (predicate: unknown, timeout?: unknown, options?: unknown) => waitFor(call, predicate, timeout, options);
  return undefined;
}

/** Acquires, and returns a disposable that releases once: `await using _ = await lock.hold()`. */
async function hold(typeid: string, call: CallOnObject, options: unknown): Promise<AsyncDisposable & Disposable> {
  if (!(await call('acquire', options === undefined ? [] : [options]))) {
    throw new TimeoutError(`${typeid} proxy: hold: not acquired within ${(options as { timeout?: unknown }).timeout} ms.`);
  }
  let released: Promise<unknown> | null = null;
  const release = () => {
    released ??= call('release', []);
    return released;
  };
  return {
    [Symbol.asyncDispose]: async () => void (await release()),
    // A sync `using` cannot wait for the answer; the release is sent at once, before any later
    // call of this process (one link, in order), and a failure means the manager is gone.
    [Symbol.dispose]: () => void release().catch(() => {}),
  };
}

/** Python's ConditionProxy.wait_for: waits until `predicate()` is truthy (or the timeout); returns its last value. */
async function waitFor(call: CallOnObject, predicate: unknown, timeout: unknown, options: unknown): Promise<unknown> {
  if (typeof predicate !== 'function') throw invalidType('Condition proxy: waitFor: "predicate"', 'a function', predicate);
  const deadline = Deadline.after(checkTimeout('Condition proxy: waitFor: "timeout"', timeout));
  for (;;) {
    const result: unknown = await predicate();
    if (result || deadline.passed()) return result;
    // The options (a signal) go as they are: what cannot travel is refused by the call itself.
    await call('wait', options === undefined ? [deadline.remaining() ?? null] : [deadline.remaining() ?? null, options]);
  }
}
