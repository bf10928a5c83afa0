// wait(): Python's multiprocessing.connection.wait, over connections (ready when a message is
// there or the other end closed: recv() would not wait) and processes (ready once ended).

import { Process } from './process.js';
import { checkTimeout, invalidType } from '../base/validate.js';
import { Deadline } from '../base/deadline.js';
import { holdEventLoop } from '../base/keep-alive.js';
import { Connection, transportOf } from '../connection/connection.js';

type Waitable = Connection | Process;

function isReady(object: Waitable): boolean {
  if (object instanceof Process) return object.exitCode !== null;
  return object.closed || transportOf(object).peek() !== null;
}

/** A promise that settles when `object` may have become ready, or when `deadline` passes. */
function change(object: Waitable, deadline: Deadline, isFirstWait: boolean): Promise<unknown> {
  if (object instanceof Process) return Promise.race([object.exited, deadline.expired()]);
  // A connection's own wait looks for a record now and then (it checks its peer is alive too).
  return transportOf(object).waitForRecord(deadline.remaining(), isFirstWait);
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
  const deadline = Deadline.after(timeoutMs);
  // Held open while waiting: a process's exit alone (a daemon's) would not keep the loop busy.
  const release = holdEventLoop();
  try {
    for (let round = 0; ; round++) {
      const ready = objects.filter(isReady);
      if (ready.length > 0 || deadline.passed()) return ready;
      // Spinning on several channels at once would only delay the others: spin on the first wait only when alone.
      await Promise.race(objects.map((object) => change(object, deadline, round === 0 && objects.length === 1)));
    }
  } finally {
    deadline.stop();
    release();
  }
}
