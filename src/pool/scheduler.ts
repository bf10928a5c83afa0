// The pool's engine: a queue of tasks, a set of workers, and the rules that join them.
//
//   jobs ──submit──▶ queue ──dispatch──▶ worker slots ──results──▶ jobs
//                      ▲                     │ exit
//                      └──── replace ◀───────┘ (held tasks fail with WorkerLostError)
//
// A worker is sent several tasks in one message while their estimated run time (learned per
// function from the worker's reports) stays under BATCH_TARGET_MS; a task of unknown or long
// duration goes only to an idle worker, so long tasks spread evenly. Exclusive tasks (abort
// signal, taskTimeout) run alone, so stopping their worker stops nothing else.

import { getLogger } from '../base/log.js';
import type { Backend, ChildEvents, ResourceLimits } from '../backends/backend.js';
import { TimeoutError, WorkerLostError } from '../base/errors.js';
import { currentProcess, nextChildIdentity } from '../base/identity.js';
import { decodeValue, type Encoded } from '../tasks/codec.js';
import { type ErrorRecord, remoteTaskError } from '../tasks/error-codec.js';
import type { TaskDescriptor } from '../tasks/task-ref.js';
import { type FromWorker, type PoolWorkerInit, RESULT_FIELDS, type ToWorker } from './messages.js';
import { TaskCatalog } from './task-catalog.js';
import type { TaskRunner } from './task-runner.js';
import { parkWorker, takeParkedWorker } from './worker-park.js';
import { type Job, type PoolTask, WorkerSlot } from './worker-slot.js';

const BATCH_TARGET_MS = 4;
const MAX_TASKS_PER_MESSAGE = 1024;
const MAX_FAILED_STARTS = 3;

export interface SchedulerOptions {
  readonly backend: Backend;
  readonly processes: number;
  readonly workerName: string;
  readonly initializer?: TaskDescriptor;
  readonly initArgs?: Encoded;
  readonly maxTasksPerChild?: number;
  readonly resourceLimits?: ResourceLimits;
}

function describeExit(exitCode: number, detail: string | undefined): string {
  const how = exitCode < 0 ? `was killed by signal ${-exitCode}` : `exited with code ${exitCode}`;
  return detail ? `${how} (${detail})` : how;
}

export class Scheduler implements TaskRunner {
  readonly #options: SchedulerOptions;
  readonly #workers = new Set<WorkerSlot>();
  #queue: PoolTask[] = [];
  #queueHead = 0;
  #exclusiveQueue: PoolTask[] = [];
  readonly #catalog = new TaskCatalog();
  #isDispatchScheduled = false;
  #isAccepting = true;
  #isKeptAlive = false;
  #joinWaiters = 0;
  #failedStarts = 0;
  #exitWaiters: (() => void)[] = [];

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#ensureWorkers();
  }

  get workerPids(): number[] {
    return [...this.#workers].filter((slot) => !slot.isLeaving).map((slot) => slot.pid);
  }

  /** A small number standing for a function; workers receive its descriptor once. */
  functionId(descriptor: TaskDescriptor): number {
    return this.#catalog.functionId(descriptor);
  }

  createTask(job: Job, mode: PoolTask['mode'], payload: Encoded, index: number, size: number): PoolTask {
    return this.#catalog.createTask(job, mode, payload, index, size);
  }

  submit(task: PoolTask): void {
    if (task.job.isExclusive) this.#exclusiveQueue.push(task);
    else this.#queue.push(task);
    this.#failedStarts = 0;
    this.#scheduleDispatch();
  }

  /** Drops a job's queued tasks; with `stopRunning`, also stops the workers running its tasks. */
  cancel(job: Job, stopRunning: boolean): void {
    this.#queue = this.#queue.slice(this.#queueHead).filter((task) => task.job !== job);
    this.#queueHead = 0;
    this.#exclusiveQueue = this.#exclusiveQueue.filter((task) => task.job !== job);
    if (stopRunning) {
      for (const slot of this.#workers) {
        if (slot.isRunningExclusive(job)) slot.stop('cancel');
      }
    }
    this.#updateKeepAlive();
  }

  /** Python's close(): finish the queued work, then let every worker exit. */
  close(): void {
    this.#isAccepting = false;
    this.#retireIdleWorkers();
  }

  /** Python's terminate(): stop every worker now; queued tasks are dropped (their jobs are cancelled by the pool). */
  terminate(): void {
    this.#isAccepting = false;
    this.#queue = [];
    this.#queueHead = 0;
    this.#exclusiveQueue = [];
    for (const slot of this.#workers) slot.stop('terminate');
  }

  /** Resolves once every worker has exited (after close or terminate). */
  async whenAllExited(): Promise<void> {
    this.#joinWaiters += 1;
    this.#updateKeepAlive();
    try {
      while (this.#workers.size > 0) await new Promise<void>((resolve) => this.#exitWaiters.push(resolve));
    } finally {
      this.#joinWaiters -= 1;
      this.#updateKeepAlive();
    }
  }

  get #queuedCount(): number {
    return this.#queue.length - this.#queueHead + this.#exclusiveQueue.length;
  }

  #scheduleDispatch(): void {
    if (this.#isDispatchScheduled) return;
    this.#isDispatchScheduled = true;
    queueMicrotask(() => {
      this.#isDispatchScheduled = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    this.#ensureWorkers();
    if (this.#queuedCount > 0) {
      const slots = [...this.#workers].filter((slot) => slot.acceptsWork);
      slots.sort((a, b) => a.estimatedMs - b.estimatedMs);
      for (const slot of slots) if (slot.heldCount === 0) this.#sendExclusive(slot);
      const eligible = slots.filter((slot) => slot.acceptsWork);
      for (let index = 0; index < eligible.length; index++) {
        const share = Math.ceil((this.#queue.length - this.#queueHead) / (eligible.length - index));
        this.#sendBatch(eligible[index], share);
      }
    }
    this.#retireIdleWorkers();
    this.#updateKeepAlive();
  }

  #sendExclusive(slot: WorkerSlot): void {
    const task = this.#exclusiveQueue.shift();
    if (!task) return;
    slot.beginExclusive(task.job.taskTimeoutMs, () => this.#timeOut(slot, task));
    this.#send(slot, [task]);
  }

  #timeOut(slot: WorkerSlot, task: PoolTask): void {
    if (!slot.release(task.id)) return;
    slot.stop('timeout');
    task.job.settle(task, { isOk: false, error: this.#timeoutError(task) });
  }

  #timeoutError(task: PoolTask): Error {
    return new TimeoutError(
      `Pool: a task ran longer than taskTimeout (${task.job.taskTimeoutMs} ms); its worker was stopped and replaced.`,
    );
  }

  #canTake(slot: WorkerSlot, task: PoolTask): boolean {
    const max = this.#options.maxTasksPerChild;
    if (max !== undefined && slot.tasksAssigned >= max) return false;
    if (slot.heldCount === 0) return true;
    return slot.heldCount < MAX_TASKS_PER_MESSAGE && slot.estimatedMs + task.estimatedMs <= BATCH_TARGET_MS;
  }

  #sendBatch(slot: WorkerSlot, share: number): void {
    const batch: PoolTask[] = [];
    while (batch.length < share && this.#queueHead < this.#queue.length) {
      const task = this.#queue[this.#queueHead];
      if (!this.#canTake(slot, task)) break;
      this.#queueHead += 1;
      slot.hold(task);
      batch.push(task);
    }
    if (this.#queueHead === this.#queue.length) {
      this.#queue = [];
      this.#queueHead = 0;
    }
    if (batch.length > 0) this.#send(slot, batch, true);
  }

  #send(slot: WorkerSlot, tasks: PoolTask[], isHeld = false): void {
    const functions: [number, TaskDescriptor][] = [];
    const fields: unknown[] = [];
    for (const task of tasks) {
      if (!isHeld) slot.hold(task);
      const functionId = task.job.functionId;
      if (slot.learnsFunction(functionId)) {
        functions.push([functionId, this.#catalog.descriptor(functionId)]);
      }
      fields.push(task.id, functionId, task.mode, task.payload.value, task.payload.hasHandles);
    }
    const max = this.#options.maxTasksPerChild;
    if (max !== undefined && slot.tasksAssigned >= max) slot.markRetiring();
    slot.send({ type: 'run', functions, tasks: fields } satisfies ToWorker);
  }

  #ensureWorkers(): void {
    if (!this.#isAccepting && this.#queuedCount === 0) return;
    if (this.#failedStarts >= MAX_FAILED_STARTS) return;
    let active = 0;
    for (const slot of this.#workers) if (slot.isActive) active++;
    for (; active < this.#options.processes; active++) this.#startWorker();
  }

  /** Workers of a plain pool (nothing that makes a worker particular) can be parked and reused. */
  get #isReusable(): boolean {
    const { initializer, maxTasksPerChild, resourceLimits } = this.#options;
    return initializer === undefined && maxTasksPerChild === undefined && resourceLimits === undefined;
  }

  #startWorker(): void {
    const parked = this.#isReusable ? takeParkedWorker(this.#options.backend.name) : undefined;
    if (parked) {
      const slot: WorkerSlot = new WorkerSlot(parked, true);
      parked.rebind(this.#eventsFor(() => slot));
      parked.send({ type: 'adopted', logLevel: getLogger().level } satisfies ToWorker);
      if (this.#isKeptAlive) parked.ref();
      this.#workers.add(slot);
      return;
    }
    const { name, identity } = nextChildIdentity(this.#options.workerName);
    const parent = currentProcess();
    const init: PoolWorkerInit = {
      role: 'pool',
      identity: { name, daemon: true, authkey: parent.authkey, parent, identity },
      initializer: this.#options.initializer,
      initArgs: this.#options.initArgs,
    };
    let slot: WorkerSlot | undefined;
    const handle = this.#options.backend.start(
      { init, resourceLimits: this.#options.resourceLimits },
      this.#eventsFor(() => slot!),
    );
    slot = new WorkerSlot(handle);
    getLogger().debug(`pool worker ${name} started (pid ${handle.pid}, ${this.#options.backend.name} context)`);
    if (!this.#isKeptAlive) handle.unref();
    this.#workers.add(slot);
  }

  #eventsFor(slotOf: () => WorkerSlot): ChildEvents {
    return {
      message: (message) => this.#onMessage(slotOf(), message as FromWorker),
      exit: (exitCode, detail) => this.#onExit(slotOf(), exitCode, detail),
    };
  }

  #onMessage(slot: WorkerSlot, message: FromWorker): void {
    slot.markStarted();
    if (message.type === 'results') this.#onResults(slot, message.results);
    else if (message.type === 'init-failed') this.#onInitFailed(slot, message.error);
    else this.#failedStarts = 0;
  }

  #onResults(slot: WorkerSlot, results: readonly unknown[]): void {
    for (let at = 0; at < results.length; at += RESULT_FIELDS) {
      const task = slot.release(results[at] as number);
      if (!task) continue; // timed out or cancelled meanwhile
      this.#catalog.learn(task, results[at + 4] as number);
      if (results[at + 1] === 1) {
        task.job.settle(task, { isOk: true, value: decodeValue(results[at + 2], results[at + 3] as boolean) });
      } else {
        task.job.settle(task, { isOk: false, error: remoteTaskError(results[at + 2] as ErrorRecord) });
      }
    }
    this.#scheduleDispatch();
  }

  #onInitFailed(slot: WorkerSlot, record: ErrorRecord): void {
    // Python would respawn the worker forever; here the work waiting for it fails instead.
    const error = remoteTaskError(record);
    slot.retire(false); // it exits by itself: no more work for it
    this.#failedStarts = MAX_FAILED_STARTS;
    const queued = [...this.#queue.slice(this.#queueHead), ...this.#exclusiveQueue];
    this.#queue = [];
    this.#queueHead = 0;
    this.#exclusiveQueue = [];
    for (const task of [...slot.heldTasks(), ...queued]) {
      slot.release(task.id);
      task.job.settle(task, { isOk: false, error });
    }
  }

  #onExit(slot: WorkerSlot, exitCode: number, detail: string | undefined): void {
    this.#workers.delete(slot);
    if (!slot.hasStarted && !slot.isLeaving) this.#failedStarts += 1;
    const held = slot.takeHeldOnExit();
    getLogger()[held.length > 0 ? 'warn' : slot.isLeaving ? 'debug' : 'info'](`pool worker ${slot.pid} exited with code ${exitCode}${detail ? ` (${detail})` : ''}${held.length > 0 ? `; ${held.length} task${held.length === 1 ? '' : 's'} lost` : ''}`);
    for (const task of held) {
      const error = new WorkerLostError(
        `Pool: the worker (pid ${slot.pid}) holding this task ${describeExit(exitCode, detail)} before the ` +
          'task finished. The pool replaced the worker; the task was not retried.',
      );
      task.job.settle(task, { isOk: false, error });
    }
    if (this.#failedStarts >= MAX_FAILED_STARTS) this.#failQueued(exitCode, detail);
    this.#scheduleDispatch();
    if (this.#workers.size === 0) for (const resolve of this.#exitWaiters.splice(0)) resolve();
  }

  #failQueued(exitCode: number, detail: string | undefined): void {
    const queued = [...this.#queue.slice(this.#queueHead), ...this.#exclusiveQueue];
    this.#queue = [];
    this.#queueHead = 0;
    this.#exclusiveQueue = [];
    const error = new WorkerLostError(
      `Pool: ${MAX_FAILED_STARTS} workers in a row failed to start; the last one ${describeExit(exitCode, detail)}.`,
    );
    for (const task of queued) task.job.settle(task, { isOk: false, error });
  }

  /** Sends `exit` to workers that will get no more work (closing, or retiring after maxTasksPerChild). */
  #retireIdleWorkers(): void {
    const isDraining = !this.#isAccepting && this.#queuedCount === 0;
    for (const slot of this.#workers) {
      if (slot.heldCount > 0 || slot.isLeaving) continue;
      // A reusable pool has no initializer: a worker still booting is as good to park as a started one.
      if (isDraining && this.#isReusable) {
        this.#park(slot);
      } else if (slot.isRetiring || isDraining) {
        slot.retire(true);
      }
    }
  }

  /** Hands an idle worker of a closing pool to the park, for the next pool to adopt. */
  #park(slot: WorkerSlot): void {
    this.#workers.delete(slot);
    parkWorker(this.#options.backend.name, slot.handOver());
    if (this.#workers.size === 0) for (const resolve of this.#exitWaiters.splice(0)) resolve();
  }

  /** Workers keep the parent alive only while they hold work or someone awaits their exit. */
  #updateKeepAlive(): void {
    let hasWork = this.#queuedCount > 0 || this.#joinWaiters > 0;
    for (const slot of this.#workers) if (slot.heldCount > 0) hasWork = true;
    if (hasWork === this.#isKeptAlive) return;
    this.#isKeptAlive = hasWork;
    for (const slot of this.#workers) slot.keepParentAlive(hasWork);
  }
}
