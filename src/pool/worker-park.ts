// Warm pool workers kept between pools: booting a worker costs a Node start-up, so the idle
// workers of a closed pool wait here for PARK_IDLE_MS, and the next Pool of the same context
// (without initializer, maxTasksPerChild or resourceLimits, which make a worker particular)
// adopts them instead of starting new ones. Parked workers never keep the program alive.

import type { ChildHandle, ContextName } from '../backends/backend.js';
import { IdleChildren } from '../backends/idle-children.js';
import type { ToWorker } from './messages.js';

const PARK_IDLE_MS = 2000;

// Not the backends' spares: those are children before their first role, for Process starts;
// these are pool workers already, which only another pool can use.
const parked: Record<ContextName, IdleChildren<ChildHandle>> = {
  process: new IdleChildren(PARK_IDLE_MS),
  thread: new IdleChildren(PARK_IDLE_MS),
};

/** Keeps an idle worker warm for the next pool; it exits after PARK_IDLE_MS unused. */
export function parkWorker(context: ContextName, handle: ChildHandle): void {
  handle.unref();
  handle.rebind({ message: () => {}, exit: () => parked[context].remove(handle) });
  parked[context].add(handle, () => handle.send({ type: 'exit' } satisfies ToWorker));
}

/** A parked worker of this context, or undefined. The caller rebinds its events. */
export function takeParkedWorker(context: ContextName): ChildHandle | undefined {
  return parked[context].take();
}
