// What kind of child this is, so results are encoded for the right destination: a thread's
// parent can share SharedArrayBuffers, a process's parent cannot.

import { isMainThread } from 'node:worker_threads';
import type { Destination } from './codec.js';

let destination: Destination | undefined;

/** The destination of messages sent to this child's parent. */
export function currentDestination(): Destination {
  destination ??= isMainThread ? 'process' : 'thread';
  return destination;
}
