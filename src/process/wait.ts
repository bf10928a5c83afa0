// wait(): Python's multiprocessing.connection.wait, over connections (ready when a message is
// there or the other end closed: recv() would not wait) and processes (ready once ended).

import { Process } from './process.js';
import { checkTimeout, invalidType } from '../base/validate.js';
import { Connection } from '../connection/connection.js';

type Waitable = Connection | Process;

function isReady(object: Waitable): boolean {
  if (object instanceof Process) return object.exitCode !== null;
  return object.closed || object.transport.peek() !== null;
}

/** A promise that settles when `object` may have become ready, or after `timeoutMs`. */
function change(object: Waitable, timeoutMs: number | undefined, isFirstWait: boolean): Promise<unknown> {
  if (object instanceof Process) {
    const exited = object.exited;
    if (timeoutMs === undefined) return exited;
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]).finally(() => clearTimeout(timer));
  }
  // A connection's own wait looks for a record now and then (it checks its peer is alive too).
  return object.transport.waitForRecord(timeoutMs, isFirstWait);
}

/**
 * Waits until at least one of `objects` is ready, or `timeout` ms pass; resolves to the ready
 * ones (an empty array on timeout). A connection is ready when recv() would not wait, a
 * process when it has ended.
 *
 * @example
 * for (const ready of await wait([conn1, conn2, child])) ...
 */
export async function wait<T extends Waitable>(objects: readonly T[], timeout?: number | null): Promise<T[]> {
  if (!Array.isArray(objects)) throw invalidType('wait: "objects"', 'an array of Connections and Processes', objects);
  objects.forEach((object, index) => {
    if (!(object instanceof Connection) && !(object instanceof Process)) {
      throw invalidType(`wait: "objects[${index}]"`, 'a Connection or a Process', object);
    }
  });
  const timeoutMs = checkTimeout('wait: "timeout"', timeout);
  if (objects.length === 0) return [];
  const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeoutMs;
  for (let round = 0; ; round++) {
    const ready = objects.filter(isReady);
    if (ready.length > 0) return ready;
    const remaining = deadline - performance.now();
    if (remaining <= 0) return [];
    const limit = remaining === Number.POSITIVE_INFINITY ? undefined : remaining;
    // Spinning on several channels at once would only delay the others: spin on the first wait only when alone.
    await Promise.race(objects.map((object) => change(object, limit, round === 0 && objects.length === 1)));
  }
}
