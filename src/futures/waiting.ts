// Waiting on several futures: Python's concurrent.futures.wait and as_completed.

import { TimeoutError } from '../base/errors.js';
import { checkOptionsObject, checkTimeout, invalidType, invalidValue } from '../base/validate.js';
import { Deadline } from '../base/deadline.js';
import { holdEventLoop, keepAlive } from '../base/keep-alive.js';
import { Future } from './future.js';

export const FIRST_COMPLETED = 'FIRST_COMPLETED';
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION';
export const ALL_COMPLETED = 'ALL_COMPLETED';
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

export interface WaitOptions {
  /** Give up after this many ms and return what is done by then. @default wait as long as it takes */
  timeout?: number | null;
  /** When to return. @default ALL_COMPLETED */
  returnWhen?: ReturnWhen;
}

export interface DoneAndNotDone<R> {
  readonly done: Set<Future<R>>;
  readonly notDone: Set<Future<R>>;
}

function checkFutures<R>(where: string, futures: Iterable<Future<R>>): Set<Future<R>> {
  if (futures === null || typeof futures !== 'object' || !(Symbol.iterator in futures)) {
    throw invalidType(`${where}: "futures"`, 'an iterable of Futures (an array or a Set)', futures);
  }
  const unique = new Set<Future<R>>();
  for (const future of futures) {
    if (!(future instanceof Future)) throw invalidType(`${where}: "futures"`, 'Futures only', future);
    unique.add(future);
  }
  return unique;
}

function isSatisfied<R>(returnWhen: ReturnWhen, done: Set<Future<R>>, all: Set<Future<R>>): boolean {
  if (done.size === all.size) return true;
  if (returnWhen === FIRST_COMPLETED) return done.size > 0;
  if (returnWhen === FIRST_EXCEPTION) return [...done].some((future) => future.failed);
  return false;
}

/**
 * Waits until the futures are done (`returnWhen`: ALL_COMPLETED), one is (FIRST_COMPLETED) or
 * one failed (FIRST_EXCEPTION), or `timeout` ms pass; resolves to the done and not-done sets.
 */
export async function wait<R>(futures: Iterable<Future<R>>, options?: WaitOptions): Promise<DoneAndNotDone<R>> {
  const all = checkFutures('futures.wait', futures);
  checkOptionsObject('futures.wait: "options"', options);
  const timeoutMs = checkTimeout('futures.wait: "timeout"', options?.timeout);
  const returnWhen = options?.returnWhen ?? ALL_COMPLETED;
  if (returnWhen !== FIRST_COMPLETED && returnWhen !== FIRST_EXCEPTION && returnWhen !== ALL_COMPLETED) {
    throw invalidValue('futures.wait: "returnWhen"', 'FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED', returnWhen);
  }
  const deadline = Deadline.after(timeoutMs);
  const release = holdEventLoop();
  let isExpired = false;
  void deadline.expired().then(() => {
    isExpired = true;
  });
  try {
    for (;;) {
      const done = new Set([...all].filter((future) => future.done()));
      if (isExpired || isSatisfied(returnWhen, done, all)) {
        return { done, notDone: new Set([...all].filter((future) => !done.has(future))) };
      }
      const pending = [...all].filter((future) => !done.has(future)).map((future) => future.settled);
      await Promise.race([deadline.expired(), ...pending]);
    }
  } finally {
    deadline.stop();
    release();
  }
}

/**
 * Yields the futures as they finish (those already done first). With `timeout`, rejects with
 * TimeoutError when some are still unfinished that many ms after the call.
 *
 * @example
 * for await (const future of asCompleted(futures)) console.log(await future.result());
 */
export async function* asCompleted<R>(futures: Iterable<Future<R>>, timeout?: number | null): AsyncGenerator<Future<R>, void, undefined> {
  const all = checkFutures('asCompleted', futures);
  const timeoutMs = checkTimeout('asCompleted: "timeout"', timeout);
  const finished: Future<R>[] = [];
  let wake: () => void = () => {};
  for (const future of all) {
    future.addDoneCallback(() => {
      finished.push(future);
      wake();
    });
  }
  const deadline = Deadline.after(timeoutMs);
  try {
    for (let yielded = 0; yielded < all.size; ) {
      if (finished.length === 0) {
        const arrived = new Promise<'arrived'>((resolve) => {
          wake = () => resolve('arrived');
        });
        // Held only while waiting: a consumer that stops iterating must not keep the program alive.
        if ((await keepAlive(Promise.race([arrived, deadline.expired()]))) !== 'arrived') {
          throw new TimeoutError(`asCompleted: ${all.size - yielded} (of ${all.size}) futures unfinished after ${timeoutMs} ms.`);
        }
      }
      yielded += 1;
      yield finished.shift()!;
    }
  } finally {
    deadline.stop();
  }
}
