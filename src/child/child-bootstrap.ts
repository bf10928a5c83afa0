// Runs first in every child (process or thread), once its channel to the parent is open: it
// takes on the identity the parent gave, then runs a Process target or becomes a pool worker.

import type { ParentChannel } from '../backends/backend.js';
import type { PoolWorkerInit } from '../pool/messages.js';
import { adoptIdentity } from '../base/identity.js';
import { decodeValue } from '../tasks/codec.js';
import './handle-types.js';
import { resolveTask } from '../tasks/resolve-task.js';
import { setReportChannel } from '../process/parent-report.js';
import type { ProcessInit } from '../process/process-init.js';

export type ChildInit = ProcessInit | PoolWorkerInit;

export async function bootstrapChild(channel: ParentChannel, init: ChildInit): Promise<void> {
  adoptIdentity(init.identity);
  if (init.role === 'process') return runProcessTarget(channel, init);
  const { runPoolWorker } = await import('../pool/worker-main.js');
  return runPoolWorker(channel, init);
}

/** Python's Process._bootstrap: run the target, print an uncaught error, exit 1 on failure. */
async function runProcessTarget(channel: ParentChannel, init: ProcessInit): Promise<void> {
  channel.onClose(() => process.exit(1)); // the parent died: do not outlive it
  setReportChannel((message) => channel.send(message));
  try {
    const target = await resolveTask(init.target);
    const args = decodeValue(init.args.value, init.args.hasHandles) as unknown[];
    await (target as (...args: unknown[]) => unknown)(...args);
  } catch (error) {
    process.stderr.write(`Process ${init.identity.name}:\n${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  } finally {
    // Like a Python child, end once the target returned and nothing else keeps this one busy.
    channel.close();
  }
}
