// The redis context's engine (SPEC §12): the Pool's tasks become BullMQ jobs that
// `multiproc worker` processes on any machine run, and their results come back through
// BullMQ's QueueEvents stream. The wire format and the fault-tolerance design are described
// in remote/job-wire.ts; this file is the caller's side: submit, match results to tasks (the
// first result of a task wins: exactly once), watch for stalls, and release the connections.

import { randomBytes } from 'node:crypto';
import { relative, sep } from 'node:path';
import { InvalidStateError, ProcessError, TimeoutError, WorkerLostError } from '../base/errors.js';
import { invalidValue } from '../base/validate.js';
import type { Queue, QueueEvents } from 'bullmq';
import { loadBullmq } from '../remote/bullmq.js';
import { type JobData, KEY_PREFIX, MULTIPROC_VERSION, packEncoded, unpackOutcome } from '../remote/job-wire.js';
import { refusalError } from '../remote/redis-failure.js';
import { type CheckedRedisOptions, describeUrl } from '../remote/redis-options.js';
import type { Encoded } from '../tasks/codec.js';
import type { TaskDescriptor } from '../tasks/task-ref.js';
import { checkModuleUnderRoot } from '../tasks/task-trust.js';
import type { TaskMode } from './messages.js';
import { TaskCatalog } from './task-catalog.js';
import type { TaskRunner } from './task-runner.js';
import type { Job, PoolTask, TaskOutcome } from './worker-slot.js';


interface Connection {
  readonly queue: Queue;
  readonly events: QueueEvents;
}

/** How a task's function is named on the wire. */
interface WireFunction {
  readonly module: string;
  readonly isRelative: boolean;
  readonly name: string;
}

const WHERE = 'Pool (redis context)';

export class RedisScheduler implements TaskRunner {
  readonly #options: CheckedRedisOptions;
  readonly #catalog = new TaskCatalog();
  readonly #functions = new Map<number, WireFunction>();
  readonly #callerId = randomBytes(6).toString('hex');
  readonly #pending = new Map<string, PoolTask>();
  #toAdd: PoolTask[] = [];
  #isFlushScheduled = false;
  #connection: Promise<Connection> | undefined;
  /** The BullMQ objects once created, ready or not: shutdown closes them either way. */
  #opened: { readonly queue: Queue; readonly events?: QueueEvents } | undefined;
  #onFatal: ((error: Error) => void) | undefined;
  #fatalError: Error | undefined;
  #isAccepting = true;
  #shutdown: Promise<void> | undefined;
  #markExited!: () => void;
  readonly #exited = new Promise<void>((resolve) => {
    this.#markExited = resolve;
  });
  #lastProgressMs = 0;
  #stallTimer: NodeJS.Timeout | undefined;

  constructor(options: CheckedRedisOptions) {
    this.#options = options;
  }

  get workerPids(): number[] {
    return [];
  }

  functionId(descriptor: TaskDescriptor, where: string): number {
    if (descriptor.kind === 'source') {
      throw invalidValue(
        where,
        'a registered function or a taskRef(...) in the redis context',
        `inline function ${descriptor.name || '(anonymous)'}`,
        'A worker on another machine never compiles source text (SPEC §14): export the function from a module every worker has, ' +
          'register(import.meta.url, { fn }) it there, and pass the function itself.',
      );
    }
    const id = this.#catalog.functionId(descriptor);
    if (!this.#functions.has(id)) this.#functions.set(id, this.#wireFunction(descriptor, where));
    return id;
  }

  /** With a root, a module travels as its path under that root; without, as its file: URL. */
  #wireFunction(descriptor: TaskDescriptor & { kind: 'module' }, where: string): WireFunction {
    const { module, name } = descriptor;
    const root = this.#options.root;
    if (root === undefined) return { module, isRelative: false, name };
    const file = checkModuleUnderRoot(where, module, name, root);
    return { module: relative(root, file).split(sep).join('/'), isRelative: true, name };
  }

  createTask(job: Job, mode: TaskMode, payload: Encoded, index: number, size: number): PoolTask {
    return this.#catalog.createTask(job, mode, payload, index, size);
  }

  submit(task: PoolTask): void {
    if (this.#fatalError) {
      queueMicrotask(() => task.job.settle(task, { isOk: false, error: this.#fatalError }));
      return;
    }
    if (this.#pending.size === 0) this.#lastProgressMs = Date.now();
    this.#pending.set(this.#jobIdOf(task), task);
    this.#toAdd.push(task);
    this.#armStallTimer();
    if (!this.#isFlushScheduled) {
      this.#isFlushScheduled = true;
      queueMicrotask(() => void this.#flush());
    }
  }

  cancel(job: Job, _stopRunning: boolean): void {
    // A running job cannot be stopped on another machine: its result is dropped when it comes.
    this.#toAdd = this.#toAdd.filter((task) => task.job !== job);
    const dropped: string[] = [];
    for (const [jobId, task] of this.#pending) {
      if (task.job === job) {
        this.#pending.delete(jobId);
        dropped.push(jobId);
      }
    }
    this.#removeJobs(dropped);
    this.#afterSettle();
  }

  close(): void {
    this.#isAccepting = false;
    this.#afterSettle();
  }

  terminate(): void {
    this.#isAccepting = false;
    this.#toAdd = [];
    this.#removeJobs([...this.#pending.keys()]);
    this.#pending.clear();
    this.#startShutdown();
  }

  whenAllExited(): Promise<void> {
    return this.#exited;
  }

  #jobIdOf(task: PoolTask): string {
    return `${this.#callerId}-${task.id}`;
  }

  #jobData(task: PoolTask): JobData {
    const fn = this.#functions.get(task.job.functionId)!;
    return {
      v: MULTIPROC_VERSION,
      module: fn.module,
      isRelative: fn.isRelative,
      name: fn.name,
      mode: task.mode,
      payload: packEncoded(task.payload),
      attempts: this.#options.attempts,
      ...(task.job.taskTimeoutMs === undefined ? {} : { taskTimeoutMs: task.job.taskTimeoutMs }),
    };
  }

  async #flush(): Promise<void> {
    this.#isFlushScheduled = false;
    const batch = this.#toAdd;
    this.#toAdd = [];
    if (batch.length === 0) return;
    try {
      const { queue } = await this.#connect();
      const jobs = batch.map((task) => {
        const fn = this.#functions.get(task.job.functionId)!;
        // One try per run: a task's own error completes its job; only a lost worker reruns it.
        const opts = { jobId: this.#jobIdOf(task), attempts: 1, removeOnComplete: true, removeOnFail: true };
        return { name: fn.name, data: this.#jobData(task), opts };
      });
      await queue.addBulk(jobs);
    } catch (error) {
      for (const task of batch) this.#settle(this.#jobIdOf(task), { isOk: false, error });
    }
  }

  #connect(): Promise<Connection> {
    this.#connection ??= this.#openConnection();
    return this.#connection;
  }

  async #openConnection(): Promise<Connection> {
    const { Queue, QueueEvents } = await loadBullmq(WHERE);
    if (this.#shutdown) throw new InvalidStateError(`${WHERE}: the pool was closed while BullMQ was loading.`);
    const name = this.#options.queue;
    const connection = { url: this.#options.url };
    const fatal = new Promise<never>((_, reject) => {
      this.#onFatal = reject;
    });
    fatal.catch(() => {});
    // Refused credentials or an untrusted certificate will not change by retrying (ioredis would, for ever).
    const onError = (error: Error) => {
      const refusal = refusalError(WHERE, this.#options.url, error);
      if (refusal) this.#onFatal?.(this.#failAll(refusal));
    };
    // The queue connects first: a refused password is found on it, which close() can still end
    // (QueueEvents' close() would wait for a connection that never becomes ready).
    const queue = new Queue(name, { connection, prefix: KEY_PREFIX });
    queue.on('error', onError);
    this.#opened = { queue };
    await Promise.race([queue.waitUntilReady(), fatal]);
    if (this.#shutdown) throw new InvalidStateError(`${WHERE}: the pool was closed while connecting.`);
    // From the start of the (trimmed) stream, not from '$' (BullMQ's default): QueueEvents is
    // ready before its first XREAD is sent, and a job that finished in between would never be
    // heard of, so its task would wait for ever. Older events name other callers' jobs and are
    // ignored like every event whose job id is not one of this pool's.
    const events = new QueueEvents(name, { connection, prefix: KEY_PREFIX, lastEventId: '0-0' });
    events.on('error', onError);
    this.#opened = { queue, events };
    this.#listen(events);
    await Promise.race([events.waitUntilReady(), fatal]);
    return { queue, events };
  }

  #listen(events: QueueEvents): void {
    const isOurs = (jobId: string) => jobId.startsWith(`${this.#callerId}-`);
    events.on('active', ({ jobId }) => {
      if (isOurs(jobId)) this.#lastProgressMs = Date.now();
    });
    events.on('progress', ({ jobId }) => {
      if (isOurs(jobId)) this.#lastProgressMs = Date.now();
    });
    events.on('completed', ({ jobId, returnvalue }) => {
      if (!this.#pending.has(jobId)) return; // another caller's, or a late duplicate of a rerun
      let outcome: TaskOutcome;
      try {
        outcome = unpackOutcome(returnvalue, `${WHERE}: the result of job ${jobId}`);
      } catch (error) {
        outcome = { isOk: false, error };
      }
      this.#settle(jobId, outcome);
    });
    events.on('failed', ({ jobId, failedReason }) => {
      if (!this.#pending.has(jobId)) return;
      const error = /stalled/i.test(failedReason)
        ? new WorkerLostError(`${WHERE}: the workers running this task were lost too often (${failedReason}).`)
        : new ProcessError(`${WHERE}: a worker failed job ${jobId}: ${failedReason}`);
      this.#settle(jobId, { isOk: false, error });
    });
  }

  #settle(jobId: string, outcome: TaskOutcome): void {
    const task = this.#pending.get(jobId);
    if (!task) return;
    this.#pending.delete(jobId);
    this.#lastProgressMs = Date.now();
    task.job.settle(task, outcome);
    this.#afterSettle();
  }

  /** Fails every pending task with `error` and refuses later ones; returns the error. */
  #failAll(error: Error): Error {
    this.#fatalError ??= error;
    const tasks = [...this.#pending.entries()];
    this.#toAdd = [];
    for (const [jobId] of tasks) this.#settle(jobId, { isOk: false, error });
    this.#startShutdown();
    return error;
  }

  #afterSettle(): void {
    if (this.#pending.size === 0) this.#disarmStallTimer();
    if (!this.#isAccepting && this.#pending.size === 0 && this.#toAdd.length === 0) this.#startShutdown();
  }

  #armStallTimer(): void {
    const limitMs = this.#options.stallTimeoutMs;
    if (limitMs === undefined || this.#stallTimer) return;
    const check = () => {
      this.#stallTimer = undefined;
      if (this.#pending.size === 0) return;
      const idleMs = Date.now() - this.#lastProgressMs;
      if (idleMs < limitMs) {
        this.#stallTimer = setTimeout(check, limitMs - idleMs);
        return;
      }
      const waiting = this.#pending.size;
      this.#removeJobs([...this.#pending.keys()]);
      const error = new TimeoutError(
        `${WHERE}: for ${limitMs} ms (stallTimeout) no worker took, ran or finished a task of queue "${this.#options.queue}" ` +
          `at ${describeUrl(this.#options.url)}; ${waiting} task${waiting === 1 ? ' was' : 's were'} waiting. ` +
          `Start workers with: multiproc worker --url <url> --queue ${this.#options.queue}`,
      );
      for (const jobId of [...this.#pending.keys()]) this.#settle(jobId, { isOk: false, error });
    };
    this.#stallTimer = setTimeout(check, limitMs);
  }

  #disarmStallTimer(): void {
    clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
  }

  /** Best effort: a job already taken by a worker is locked and stays; its result is dropped. */
  #removeJobs(jobIds: string[]): void {
    if (jobIds.length === 0 || !this.#connection || this.#fatalError) return;
    void this.#connection
      .then(({ queue }) => Promise.allSettled(jobIds.map((jobId) => queue.remove(jobId))))
      .catch(() => {});
  }

  #startShutdown(): void {
    if (this.#shutdown) return;
    this.#disarmStallTimer();
    this.#shutdown = (async () => {
      const opened = this.#opened;
      if (!opened) return;
      await Promise.allSettled([opened.events?.close(), opened.queue.close()]);
    })().finally(this.#markExited);
  }
}
