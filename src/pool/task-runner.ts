// What a Pool and its jobs need from the engine that runs their tasks: the local Scheduler
// (worker processes or threads of this machine) or the RedisScheduler (BullMQ workers on any
// machine). One Pool API, two engines underneath.

import type { Encoded } from '../tasks/codec.js';
import type { TaskDescriptor } from '../tasks/task-ref.js';
import type { TaskMode } from './messages.js';
import type { Job, PoolTask } from './worker-slot.js';

export interface TaskRunner {
  /** The pids of the local workers (none for a remote engine). */
  readonly workerPids: number[];
  /** A small number standing for a function; throws a TypeError naming `where` when this engine cannot send it. */
  functionId(descriptor: TaskDescriptor, where: string): number;
  createTask(job: Job, mode: TaskMode, payload: Encoded, index: number, size: number): PoolTask;
  submit(task: PoolTask): void;
  /** Drops a job's queued tasks; with `stopRunning`, also stops its running ones where the engine can. */
  cancel(job: Job, stopRunning: boolean): void;
  /** Finish the queued work, then release the workers (or connections). */
  close(): void;
  /** Stop now; queued tasks are dropped. */
  terminate(): void;
  /** Resolves once every worker (or connection) is released, after close or terminate. */
  whenAllExited(): Promise<void>;
}
