// The redis context's engine (SPEC §12): the Pool's tasks become BullMQ jobs that
// `multiproc worker` processes on any machine run, and their results come back through
// BullMQ's events stream. The wire format and the fault-tolerance design are described
// in remote/job-wire.ts; this file is the caller's side: submit, match results to tasks (the
// first result of a task wins: exactly once), watch for stalls, and release the connections.

import { randomBytes } from 'node:crypto';
import { relative, sep } from 'node:path';
import { InvalidStateError, ProcessError, TimeoutError, WorkerLostError } from '../base/errors.js';
import { invalidValue } from '../base/validate.js';
import type { Queue } from 'bullmq';
import { loadRedisDriver } from '../remote/bullmq.js';
import { type JobEvent, JobEventReader } from '../remote/job-events.js';
import { type JobData, KEY_PREFIX, MULTIPROC_VERSION, packEncoded, unpackOutcome } from '../remote/job-wire.js';
import { refusalError } from '../remote/redis-failure.js';
import { type Outage, RedisLink } from '../remote/redis-link.js';
import { type CheckedRedisOptions, describeUrl } from '../remote/redis-options.js';
import type { Encoded } from '../tasks/codec.js';
import { checkTaskPackage, packageOfModule } from '../tasks/task-package.js';
import type { TaskDescriptor } from '../tasks/task-ref.js';
import { checkModuleUnderRoot } from '../tasks/task-trust.js';
import type { TaskMode } from './messages.js';
import { TaskCatalog } from './task-catalog.js';
import type { TaskRunner } from './task-runner.js';
import type { Job, PoolTask, TaskOutcome } from './worker-slot.js';


interface Connection {
  readonly queue: Queue;
}

/** How a task's function is named on the wire. */
interface WireFunction {
  readonly module: string;
  readonly isRelative: boolean;
  readonly package?: string;
  readonly name: string;
}

/** Redis unreachable this long, with tasks pending: they fail (a restart of a few seconds is ridden out). */
const OUTAGE_LIMIT_MS = 30_000;
/** No result for this long, with jobs added: the oldest are looked up in Redis (see #recheckLostJobs). */
const RECHECK_AFTER_MS = 5_000;
/** Jobs looked up per recheck: one pipelined EXISTS each. */
const RECHECK_BATCH = 1_000;

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
  #opened: { readonly queue: Queue; readonly events?: JobEventReader } | undefined;
  #onFatal: ((error: Error) => void) | undefined;
  #fatalError: Error | undefined;
  #isAccepting = true;
  #shutdown: Promise<void> | undefined;
  #markExited!: () => void;
  readonly #exited = new Promise<void>((resolve) => {
    this.#markExited = resolve;
  });
  #links: readonly RedisLink[] = [];
  /** When each pending task's job was added to Redis, oldest first (a re-add moves it to the end). */
  readonly #addedAtMs = new Map<string, number>();
  /** A worker took, ran or finished a task of this pool (stallTimeout counts from it). */
  #lastProgressMs = 0;
  /** A result came, or the lost jobs were looked for (the recheck counts from it). */
  #lastResultMs = 0;
  #isRechecking = false;
  #watchTimer: NodeJS.Timeout | undefined;

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

  /**
   * A module in an installed package travels as the package's name and its path inside it (every
   * worker finds its own install); else, with a root, as its path under that root; else as its
   * file: URL. See remote/job-wire.ts.
   */
  #wireFunction(descriptor: TaskDescriptor & { kind: 'module' }, where: string): WireFunction {
    const { module, name } = descriptor;
    const inPackage = packageOfModule(module);
    if (inPackage) {
      checkTaskPackage(where, inPackage.name, inPackage.directory);
      return { module: inPackage.path, isRelative: true, package: inPackage.name, name };
    }
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
    if (this.#pending.size === 0) {
      this.#lastProgressMs = this.#lastResultMs = Date.now();
      this.#holdEventLoop(true);
    }
    this.#pending.set(this.#jobIdOf(task), task);
    this.#add([task]);
    this.#armWatch();
  }

  #add(tasks: PoolTask[]): void {
    this.#toAdd.push(...tasks);
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
        this.#addedAtMs.delete(jobId);
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
    this.#addedAtMs.clear();
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
      ...(fn.package === undefined ? {} : { package: fn.package }),
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
      const addedMs = Date.now();
      for (const task of batch) {
        const jobId = this.#jobIdOf(task);
        if (this.#pending.has(jobId)) this.#addedAtMs.set(jobId, addedMs);
      }
      if (this.#pending.size > 0) {
        this.#disarmWatch(); // its next time may now be the recheck's
        this.#armWatch();
      }
    } catch (error) {
      for (const task of batch) this.#settle(this.#jobIdOf(task), { isOk: false, error });
    }
  }

  #connect(): Promise<Connection> {
    this.#connection ??= this.#openConnection();
    return this.#connection;
  }

  async #openConnection(): Promise<Connection> {
    const driver = await loadRedisDriver(WHERE);
    if (this.#shutdown) throw new InvalidStateError(`${WHERE}: the pool was closed while BullMQ was loading.`);
    const { Queue } = driver.bullmq;
    const name = this.#options.queue;
    const fatal = new Promise<never>((_, reject) => {
      this.#onFatal = reject;
    });
    fatal.catch(() => {});
    // Refused credentials or an untrusted certificate will not change by retrying (ioredis would,
    // for ever), nor, for a program that just started, a server it cannot reach.
    const onFailure = (cause: Error) => {
      this.#onFatal?.(this.#failAll(refusalError(WHERE, this.#options.url, cause) ?? this.#unreachableError(cause)));
    };
    // Two clients: the events reader blocks one in XREAD. Both exist before anything waits on
    // them, so that shutdown closes both whatever happens.
    const links = [new RedisLink(driver, this.#options.url, { onFailure }), new RedisLink(driver, this.#options.url, { onFailure })];
    this.#links = links;
    for (const link of links) link.holdEventLoop(this.#isBusy());
    const [queueLink, eventsLink] = links as [RedisLink, RedisLink];
    const queue = new Queue(name, { connection: queueLink.client, prefix: KEY_PREFIX });
    queue.on('error', () => {}); // the links report what matters; BullMQ repeats their errors here
    this.#opened = { queue };
    await Promise.race([queue.waitUntilReady(), fatal]);
    // Events are read after the stream's newest entry as it is now, before this pool adds a job:
    // '$' would miss a job that finishes before the first XREAD, and '0-0' would read (and skip)
    // every retained event of other callers first.
    const eventsKey = queue.keys.events!;
    const newest = await Promise.race([queueLink.client.xrevrange(eventsKey, '+', '-', 'COUNT', 1), fatal]);
    // Connected before the reader starts: a command sent behind its XREAD BLOCK would wait for it.
    await Promise.race([eventsLink.client.ping(), fatal]);
    if (this.#shutdown) throw new InvalidStateError(`${WHERE}: the pool was closed while connecting.`);
    const events = new JobEventReader(eventsLink.client, eventsKey, newest[0]?.[0] ?? '0-0', (event) => this.#onEvent(event));
    this.#opened = { queue, events };
    return { queue };
  }

  #unreachableError(cause: Error): Error {
    return new ProcessError(
      `${WHERE}: could not reach Redis at ${describeUrl(this.#options.url)} (${cause.message}). ` +
        'Check that redis-server runs there and that the url\'s host and port are right (rediss:// for TLS); this pool cannot be used: create a new one.',
      { cause },
    );
  }

  #onEvent(event: JobEvent): void {
    const { jobId } = event;
    if (jobId === undefined || !this.#pending.has(jobId)) return; // another caller's, or a late duplicate of a rerun
    switch (event.event) {
      case 'active':
      case 'progress':
        this.#lastProgressMs = Date.now();
        return;
      case 'completed':
        this.#settle(jobId, this.#outcomeOf(jobId, event.returnvalue));
        return;
      case 'failed': {
        const reason = event.failedReason ?? '';
        const error = /stalled/i.test(reason)
          ? new WorkerLostError(`${WHERE}: the workers running this task were lost too often (${reason}).`)
          : new ProcessError(`${WHERE}: a worker failed job ${jobId}: ${reason}`);
        this.#settle(jobId, { isOk: false, error });
      }
    }
  }

  /** A completed job's return value: BullMQ's JSON of the string a worker made with packOutcome. */
  #outcomeOf(jobId: string, returnvalue: string | undefined): TaskOutcome {
    const where = `${WHERE}: the result of job ${jobId}`;
    try {
      return unpackOutcome(JSON.parse(returnvalue ?? 'null'), where);
    } catch (error) {
      return { isOk: false, error };
    }
  }

  #settle(jobId: string, outcome: TaskOutcome): void {
    const task = this.#pending.get(jobId);
    if (!task) return;
    this.#pending.delete(jobId);
    this.#addedAtMs.delete(jobId);
    this.#lastProgressMs = this.#lastResultMs = Date.now();
    task.job.settle(task, outcome);
    this.#afterSettle();
  }

  /** Fails every pending task with `error` and refuses later ones; returns the error. */
  #failAll(error: Error): Error {
    this.#fatalError ??= error;
    this.#toAdd = [];
    this.#failPending(error);
    this.#startShutdown();
    return error;
  }

  #failPending(error: Error): void {
    for (const jobId of [...this.#pending.keys()]) this.#settle(jobId, { isOk: false, error });
  }

  #isBusy(): boolean {
    return this.#pending.size > 0 || this.#toAdd.length > 0;
  }

  #afterSettle(): void {
    if (this.#pending.size === 0) {
      this.#disarmWatch();
      this.#holdEventLoop(false);
    }
    if (!this.#isAccepting && this.#pending.size === 0 && this.#toAdd.length === 0) this.#startShutdown();
  }

  /** An idle pool lets its program exit, as an idle local pool does. */
  #holdEventLoop(isHolding: boolean): void {
    for (const link of this.#links) link.holdEventLoop(isHolding);
  }

  // The watch: while tasks are pending, one timer checks the stall limit (stallTimeout), how long
  // Redis has been unreachable (OUTAGE_LIMIT_MS), and whether results may have been lost
  // (RECHECK_AFTER_MS without one). It wakes at the nearest of those times, not periodically.

  #armWatch(): void {
    if (this.#watchTimer) return;
    this.#watchTimer = setTimeout(() => this.#watch(), this.#nextWatchInMs(Date.now()));
  }

  #disarmWatch(): void {
    clearTimeout(this.#watchTimer);
    this.#watchTimer = undefined;
  }

  #nextWatchInMs(nowMs: number): number {
    const stallLimitMs = this.#options.stallTimeoutMs;
    const outage = this.#outage();
    const dueMs: number[] = [];
    const recheckAtMs = this.#recheckAtMs();
    if (recheckAtMs !== undefined) dueMs.push(recheckAtMs);
    if (stallLimitMs !== undefined) dueMs.push(this.#lastProgressMs + stallLimitMs);
    if (outage) dueMs.push(outage.sinceMs + OUTAGE_LIMIT_MS);
    else dueMs.push(nowMs + OUTAGE_LIMIT_MS / 2); // an outage beginning later is seen within this
    return Math.max(0, Math.min(...dueMs) - nowMs);
  }

  #watch(): void {
    this.#watchTimer = undefined;
    if (this.#pending.size === 0) return;
    const nowMs = Date.now();
    const stallLimitMs = this.#options.stallTimeoutMs;
    const outage = this.#outage();
    if (stallLimitMs !== undefined && nowMs - this.#lastProgressMs >= stallLimitMs) this.#failStalled(stallLimitMs, outage);
    else if (outage && nowMs - outage.sinceMs >= OUTAGE_LIMIT_MS) this.#failPending(this.#outageError(outage, nowMs));
    else if (!outage && nowMs >= (this.#recheckAtMs() ?? Number.POSITIVE_INFINITY)) void this.#recheckLostJobs(nowMs);
    if (this.#pending.size > 0) this.#armWatch();
  }

  /** When the oldest added job will have gone RECHECK_AFTER_MS without any result coming. */
  #recheckAtMs(): number | undefined {
    const oldestAddedMs = this.#addedAtMs.values().next().value;
    return oldestAddedMs === undefined ? undefined : Math.max(oldestAddedMs, this.#lastResultMs) + RECHECK_AFTER_MS;
  }

  /** The longest current outage of this pool's Redis connections. */
  #outage(): Outage | undefined {
    let oldest: Outage | undefined;
    for (const link of this.#links) {
      const outage = link.outage();
      if (outage && (!oldest || outage.sinceMs < oldest.sinceMs)) oldest = outage;
    }
    return oldest;
  }

  #outageText(outage: Outage, nowMs: number): string {
    const cause = outage.cause ? ` (${outage.cause.message})` : '';
    return `Redis at ${describeUrl(this.#options.url)} has been unreachable for ${nowMs - outage.sinceMs} ms${cause}`;
  }

  #outageError(outage: Outage, nowMs: number): Error {
    const waiting = this.#pending.size;
    return new ProcessError(
      `${WHERE}: ${this.#outageText(outage, nowMs)}; ${waiting} task${waiting === 1 ? '' : 's'} failed. ` +
        'The pool keeps reconnecting: tasks submitted once Redis is back run as usual.',
      { cause: outage.cause },
    );
  }

  #failStalled(limitMs: number, outage: Outage | undefined): void {
    const waiting = this.#pending.size;
    const what = outage
      ? `${this.#outageText(outage, Date.now())}, so no task of queue "${this.#options.queue}" could be taken or finished`
      : `no worker took, ran or finished a task of queue "${this.#options.queue}" at ${describeUrl(this.#options.url)}`;
    const hint = outage
      ? 'Check that redis-server runs and is reachable from here.'
      : `Start workers with: multiproc worker --url <url> --queue ${this.#options.queue}`;
    this.#removeJobs([...this.#pending.keys()]);
    this.#failPending(
      new TimeoutError(`${WHERE}: for ${limitMs} ms (stallTimeout) ${what}; ${waiting} task${waiting === 1 ? ' was' : 's were'} waiting. ${hint}`),
    );
  }

  /**
   * Results travel in BullMQ's events stream, which Redis trims (about 10,000 entries), and jobs
   * live in Redis, which a restart without persistence or a FLUSHALL empties. When no result has
   * come for RECHECK_AFTER_MS, the oldest jobs this pool added are looked up: one that no longer
   * exists, although its task has no result, lost either its job or its result, and is added
   * again. A rerun is safe: the first result of a task wins, later ones are dropped.
   */
  async #recheckLostJobs(nowMs: number): Promise<void> {
    if (this.#isRechecking || !this.#connection) return;
    this.#isRechecking = true;
    this.#lastResultMs = nowMs;
    try {
      const { queue } = await this.#connection;
      const jobIds: string[] = [];
      for (const [jobId, addedMs] of this.#addedAtMs) {
        if (nowMs - addedMs < RECHECK_AFTER_MS || jobIds.length === RECHECK_BATCH) break;
        jobIds.push(jobId);
      }
      if (jobIds.length === 0) return;
      const lookups = this.#links[0]!.client.pipeline();
      for (const jobId of jobIds) lookups.exists(queue.toKey(jobId));
      const answers = (await lookups.exec()) ?? [];
      const lost = jobIds.filter((jobId, at) => answers[at]?.[1] === 0 && this.#pending.has(jobId));
      for (const jobId of lost) this.#addedAtMs.delete(jobId);
      this.#add(lost.map((jobId) => this.#pending.get(jobId)!));
    } catch {
      // Redis went away meanwhile: the outage watch takes over, and the next recheck tries again.
    } finally {
      this.#isRechecking = false;
    }
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
    this.#disarmWatch();
    this.#shutdown = (async () => {
      const opened = this.#opened;
      // BullMQ does not close clients it was handed; they are closed at once, so that neither
      // BullMQ nor a blocked XREAD waits for a Redis that may be gone.
      opened?.events?.stop();
      const closing = opened?.queue.close().catch(() => {});
      for (const link of this.#links) link.close();
      await closing;
    })().finally(this.#markExited);
  }
}
