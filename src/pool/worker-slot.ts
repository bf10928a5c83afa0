// One pool worker as the scheduler sees it: its child, the tasks it holds, and how much work
// (estimated in ms) those tasks represent, which decides how many more it may be sent.

import type { ChildHandle } from '../backends/backend.js';
import type { Encoded } from '../tasks/codec.js';
import type { TaskMode, ToWorker } from './messages.js';

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

/**
 * One pool worker's state, kept here and changed only through these methods: the scheduler
 * decides, the slot keeps its counts, timer and stop reason consistent.
 */
export class WorkerSlot {
  readonly #handle: ChildHandle;
  readonly #inFlight = new Map<number, PoolTask>();
  readonly #knownFunctions = new Set<number>();
  #estimatedMs = 0;
  #tasksAssigned = 0;
  #hasStarted: boolean;
  #isRetiring = false;
  /** Running an exclusive task: it takes nothing else meanwhile. */
  #isExclusive = false;
  #stopReason: StopReason | null = null;
  #timeoutTimer: NodeJS.Timeout | undefined;

  /** `hasStarted`: the child already booted (a parked worker adopted by a new pool). */
  constructor(handle: ChildHandle, hasStarted = false) {
    this.#handle = handle;
    this.#hasStarted = hasStarted;
  }

  get pid(): number {
    return this.#handle.pid;
  }

  /** True once the worker has spoken (or was adopted already booted): its exit is then no failed start. */
  get hasStarted(): boolean {
    return this.#hasStarted;
  }

  markStarted(): void {
    this.#hasStarted = true;
  }

  /** True once the pool has let this worker go: stopped, told to exit, or parked. */
  get isLeaving(): boolean {
    return this.#stopReason !== null;
  }

  /** Counts toward the pool's size: not leaving and not retiring after maxTasksPerChild. */
  get isActive(): boolean {
    return !this.#isRetiring && this.#stopReason === null;
  }

  get acceptsWork(): boolean {
    return !this.#isRetiring && !this.#isExclusive && this.#stopReason === null;
  }

  /** Whether the pool told it to retire after its last task (maxTasksPerChild reached). */
  get isRetiring(): boolean {
    return this.#isRetiring;
  }

  get heldCount(): number {
    return this.#inFlight.size;
  }

  /** The held tasks' estimated run time, in ms. */
  get estimatedMs(): number {
    return this.#estimatedMs;
  }

  /** Tasks sent to this worker over its life (for maxTasksPerChild). */
  get tasksAssigned(): number {
    return this.#tasksAssigned;
  }

  /** True when it runs an exclusive task of `job` (cancelling the job stops it). */
  isRunningExclusive(job: Job): boolean {
    if (!this.#isExclusive) return false;
    for (const task of this.#inFlight.values()) if (task.job === job) return true;
    return false;
  }

  heldTasks(): PoolTask[] {
    return [...this.#inFlight.values()];
  }

  hold(task: PoolTask): void {
    this.#inFlight.set(task.id, task);
    this.#estimatedMs += task.estimatedMs;
    this.#tasksAssigned += 1;
  }

  release(taskId: number): PoolTask | undefined {
    const task = this.#inFlight.get(taskId);
    if (!task) return undefined;
    this.#inFlight.delete(taskId);
    this.#estimatedMs = this.#inFlight.size === 0 ? 0 : this.#estimatedMs - task.estimatedMs;
    if (task.job.isExclusive) {
      this.#isExclusive = false;
      clearTimeout(this.#timeoutTimer);
    }
    return task;
  }

  /** From now on it runs one exclusive task; `onTimeout` runs after `timeoutMs` unless released first. */
  beginExclusive(timeoutMs: number | undefined, onTimeout: () => void): void {
    this.#isExclusive = true;
    if (timeoutMs === undefined) return;
    this.#timeoutTimer = setTimeout(onTimeout, timeoutMs);
    this.#timeoutTimer.unref();
  }

  /** True the first time: the worker does not know this function yet and must be sent its descriptor. */
  learnsFunction(functionId: number): boolean {
    if (this.#knownFunctions.has(functionId)) return false;
    this.#knownFunctions.add(functionId);
    return true;
  }

  /** It takes no new work and exits once idle (maxTasksPerChild reached). */
  markRetiring(): void {
    this.#isRetiring = true;
  }

  send(message: ToWorker): void {
    this.#handle.send(message);
  }

  /** Keep the parent's event loop alive while this worker runs, or not. */
  keepParentAlive(isKept: boolean): void {
    if (isKept) this.#handle.ref();
    else this.#handle.unref();
  }

  stop(reason: StopReason): void {
    if (this.#stopReason !== null) return;
    this.#stopReason = reason;
    clearTimeout(this.#timeoutTimer);
    if (reason === 'terminate') this.#handle.terminate();
    else this.#handle.kill();
  }

  /** The pool lets it go; `tellWorker` sends it `exit` (an init failure makes it exit by itself). */
  retire(tellWorker: boolean): void {
    this.#stopReason = 'retire';
    if (tellWorker) this.#handle.send({ type: 'exit' } satisfies ToWorker);
  }

  /** The pool lets it go to the park: the child lives on for the next pool. */
  handOver(): ChildHandle {
    this.#stopReason = 'retire';
    return this.#handle;
  }

  /** Its child exited: the tasks it still held, which the pool fails; the slot holds nothing more. */
  takeHeldOnExit(): PoolTask[] {
    clearTimeout(this.#timeoutTimer);
    const held = [...this.#inFlight.values()];
    this.#inFlight.clear();
    return held;
  }
}

/** Calls `onAbort` when the signal aborts; returns the function that stops listening. */
export function listenForAbort(signal: AbortSignal | undefined, onAbort: (reason: unknown) => void): () => void {
  if (!signal) return () => {};
  const listener = () => onAbort(signal.reason);
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}
