// Runs first in every child (process or thread), once its channel to the parent is open: it
// takes on the identity the parent gave, then runs a Process target or becomes a pool worker.

import type { ParentChannel } from '../backends/backend.js';
import { adoptLogLevel } from '../base/log.js';
import type { PoolWorkerInit } from '../pool/messages.js';
import { adoptIdentity } from '../base/identity.js';
import type { ProcessInit } from '../process/process-init.js';
import './handle-types.js';
import { runProcess } from './run-process.js';

export type ChildInit = ProcessInit | PoolWorkerInit;

export async function bootstrapChild(channel: ParentChannel, init: ChildInit): Promise<void> {
  adoptIdentity(init.identity);
  adoptLogLevel(); // a warm spare booted before the parent set its level
  if (init.role === 'process') return runProcess(channel, init);
  const { runPoolWorker } = await import('../pool/worker-main.js');
  return runPoolWorker(channel, init);
}
