// Runs first in every child (process or thread), once its channel to the parent is open: it
// takes on the identity the parent gave, then runs a Process target or becomes a pool worker.

import type { ParentChannel } from '../backends/backend.js';
import { adoptLogLevel } from '../base/log.js';
import type { PoolWorkerInit } from '../pool/messages.js';
import { adoptIdentity, type InheritedIdentity } from '../process/identity.js';
import type { Encoded } from '../tasks/codec.js';
import '../tasks/handle-types.js';
import type { RegisteredName, TaskDescriptor } from '../tasks/task-ref.js';
import { runProcess } from './run-process.js';

/** First message to a Process child. */
export interface ProcessInit {
  readonly role: 'process';
  readonly identity: InheritedIdentity;
  /** What the base run() calls; null when the Process has no target. */
  readonly target: TaskDescriptor | null;
  readonly args: Encoded;
  /** The registered Process subclass to rebuild; null for a plain Process. */
  readonly subclass: RegisteredName | null;
  /** The subclass instance's own enumerable fields (an object); null for a plain Process. */
  readonly fields: Encoded | null;
}

export type ChildInit = ProcessInit | PoolWorkerInit;

export async function bootstrapChild(channel: ParentChannel, init: ChildInit): Promise<void> {
  adoptIdentity(init.identity);
  adoptLogLevel(); // a warm spare booted before the parent set its level
  if (init.role === 'process') return runProcess(channel, init);
  const { runPoolWorker } = await import('../pool/worker-main.js');
  return runPoolWorker(channel, init);
}
