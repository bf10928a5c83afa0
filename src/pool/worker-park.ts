// Warm pool workers kept between pools: booting a worker costs a Node start-up, so the idle
// workers of a closed pool wait here for PARK_IDLE_MS, and the next Pool of the same context
// (without initializer, maxTasksPerChild or resourceLimits, which make a worker particular)
// adopts them instead of starting new ones. Parked workers never keep the program alive.

import type { ChildHandle, ContextName } from '../backends/backend.js';
import type { ToWorker } from './messages.js';

const PARK_IDLE_MS = 2000;

interface Parked {
  readonly handle: ChildHandle;
  readonly timer: NodeJS.Timeout;
}

const parked: Record<ContextName, Parked[]> = { process: [], thread: [] };

function remove(context: ContextName, handle: ChildHandle): Parked | undefined {
  const list = parked[context];
  const index = list.findIndex((entry) => entry.handle === handle);
  if (index < 0) return undefined;
  const [entry] = list.splice(index, 1);
  clearTimeout(entry.timer);
  return entry;
}

/** Keeps an idle worker warm for the next pool; it exits after PARK_IDLE_MS unused. */
export function parkWorker(context: ContextName, handle: ChildHandle): void {
  handle.unref();
  handle.rebind({ message: () => {}, exit: () => remove(context, handle) });
  const timer = setTimeout(() => {
    if (remove(context, handle)) handle.send({ type: 'exit' } satisfies ToWorker);
  }, PARK_IDLE_MS);
  timer.unref();
  parked[context].push({ handle, timer });
}

/** A parked worker of this context, or undefined. The caller rebinds its events. */
export function takeParkedWorker(context: ContextName): ChildHandle | undefined {
  const entry = parked[context].pop();
  if (!entry) return undefined;
  clearTimeout(entry.timer);
  return entry.handle;
}
