// One pool worker as the scheduler sees it: its child, the tasks it holds, and how much work
// (estimated in ms) those tasks represent, which decides how many more it may be sent.

import type { ChildHandle } from '../backends/backend.js';
import type { Encoded } from '../tasks/codec.js';
import type { TaskMode } from './messages.js';

/** What a task's outcome is, as the worker reported it (or the pool decided). */
export type TaskOutcome = { readonly isOk: true; readonly value: unknown } | { readonly isOk: false; readonly error: unknown };

/** One call on the pool (a map, an imap, an apply): it owns tasks and receives their outcomes. */
export interface Job {
  readonly functionId: number;
  /** Tasks run alone on a worker that may be stopped for them (abort signal, taskTimeout). */
  readonly isExclusive: boolean;
  readonly taskTimeoutMs: number | undefined;
  settle(task: PoolTask, outcome: TaskOutcome): void;
}

/** One message-sized unit of work: one call, or one chunk of items. */
export interface PoolTask {
  readonly id: number;
  readonly job: Job;
  readonly mode: TaskMode;
  readonly payload: Encoded;
  /** Position within its job (chunk number). */
  readonly index: number;
  /** Items in it (1 for a call). */
  readonly size: number;
  estimatedMs: number;
}

/** Why the pool stopped a worker on purpose (its exit is then no WorkerLostError). */
export type StopReason = 'terminate' | 'timeout' | 'cancel' | 'retire';

export class WorkerSlot {
  readonly handle: ChildHandle;
  readonly inFlight = new Map<number, PoolTask>();
  readonly knownFunctions = new Set<number>();
  estimatedMs = 0;
  tasksAssigned = 0;
  hasStarted = false;
  isRetiring = false;
  /** Running an exclusive task: it takes nothing else meanwhile. */
  isExclusive = false;
  stopReason: StopReason | null = null;
  timeoutTimer: NodeJS.Timeout | undefined;

  constructor(handle: ChildHandle) {
    this.handle = handle;
  }

  get acceptsWork(): boolean {
    return !this.isRetiring && !this.isExclusive && this.stopReason === null;
  }

  hold(task: PoolTask): void {
    this.inFlight.set(task.id, task);
    this.estimatedMs += task.estimatedMs;
    this.tasksAssigned += 1;
  }

  release(taskId: number): PoolTask | undefined {
    const task = this.inFlight.get(taskId);
    if (!task) return undefined;
    this.inFlight.delete(taskId);
    this.estimatedMs = this.inFlight.size === 0 ? 0 : this.estimatedMs - task.estimatedMs;
    if (task.job.isExclusive) {
      this.isExclusive = false;
      clearTimeout(this.timeoutTimer);
    }
    return task;
  }

  stop(reason: StopReason): void {
    if (this.stopReason !== null) return;
    this.stopReason = reason;
    clearTimeout(this.timeoutTimer);
    if (reason === 'terminate') this.handle.terminate();
    else this.handle.kill();
  }
}

/** Calls `onAbort` when the signal aborts; returns the function that stops listening. */
export function listenForAbort(signal: AbortSignal | undefined, onAbort: (reason: unknown) => void): () => void {
  if (!signal) return () => {};
  const listener = () => onAbort(signal.reason);
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}
