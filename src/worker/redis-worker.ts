// `multiproc worker`: takes the redis context's jobs from BullMQ and runs them on a local
// multiproc process Pool, so a long CPU-bound task never blocks this process's event loop, which
// keeps renewing BullMQ's locks (a blocked loop would make every running job look lost).
// What a job holds is data from whoever can write to the Redis (SPEC §14): its payload is decoded
// as a peer's, and its task resolves only to a function its module register()ed under --root or in
// a package installed there (job-task.ts). The wire format and the fault-tolerance design are described in remote/job-wire.ts.

import { hostname } from 'node:os';
import type { Job, Worker } from 'bullmq';
import { WorkerLostError } from '../base/errors.js';
import { Pool } from '../pool/pool.js';
import { loadBullmq } from '../remote/bullmq.js';
import {
  HEARTBEAT_MS,
  type JobData,
  KEY_PREFIX,
  LOCK_DURATION_MS,
  MULTIPROC_VERSION,
  packOutcome,
  STALLED_INTERVAL_MS,
  unpackEncoded,
} from '../remote/job-wire.js';
import { redisFailureKind, refusalError } from '../remote/redis-failure.js';
import { describeUrl } from '../remote/redis-options.js';
import { checkJobData, resolveJobTask } from './job-task.js';
import { OutageLog } from './outage-log.js';
import type { WorkerLog } from './worker-log.js';

export interface RedisWorkerOptions {
  readonly url: string;
  readonly queue: string;
  /** Local worker processes, and jobs run at once. */
  readonly concurrency: number;
  /** Real path of the directory task modules must lie under. */
  readonly root: string;
  readonly log: WorkerLog;
}

/**
 * BullMQ's Worker holds two connections (commands, and blocking waits for jobs) that connect at
 * once and both meet a refusal. Closing while the second one's TLS handshake is still in flight
 * makes that socket emit an error no one listens to any more, which ends the process with a
 * stack trace: the worker stops after both refusals, or after REFUSAL_SETTLE_MS at most (well
 * under ioredis's 1 s between attempts, so no new attempt starts meanwhile).
 */
const CONNECTIONS = 2;
const REFUSAL_SETTLE_MS = 500;

/** A job lost this many times is a poison task for BullMQ itself only far beyond our own `attempts`. */
const BULLMQ_MAX_STALLED = 1_000_000;

/** One running `multiproc worker`: a BullMQ Worker feeding a local Pool. */
export class RedisWorker {
  readonly #options: RedisWorkerOptions;
  readonly #identity = `${hostname()} (pid ${process.pid})`;
  readonly #pool: Pool;
  readonly #outage: OutageLog;
  #worker: Worker | undefined;
  /** The stop under way: graceful (running tasks finish), or now. */
  #stopping: Promise<void> | undefined;
  #isStoppingNow = false;
  /** True when BullMQ was left behind: its graceful close waits for a Redis that went away. */
  #isBullmqAbandoned = false;
  #markStopped!: () => void;
  /** Resolves once a stop, graceful or now, has finished (a graceful one may be overtaken). */
  readonly #stopped = new Promise<void>((resolve) => {
    this.#markStopped = resolve;
  });
  #fatal: ((error: Error) => void) | undefined;
  #refusals = 0;
  #refusalTimer: NodeJS.Timeout | undefined;

  constructor(options: RedisWorkerOptions) {
    this.#options = options;
    this.#pool = new Pool({ processes: options.concurrency });
    this.#outage = new OutageLog(options.url, options.log);
  }

  /** Runs until stop() (resolves) or a fatal error such as refused credentials (rejects). */
  async run(): Promise<void> {
    const { Worker: BullWorker } = await loadBullmq('multiproc worker');
    const { url, queue, concurrency, root, log } = this.#options;
    const fatal = new Promise<never>((_, reject) => {
      this.#fatal = reject;
    });
    const worker = new BullWorker(queue, (job: Job) => this.#process(job), {
      connection: { url },
      prefix: KEY_PREFIX,
      concurrency,
      lockDuration: LOCK_DURATION_MS,
      stalledInterval: STALLED_INTERVAL_MS,
      maxStalledCount: BULLMQ_MAX_STALLED,
      autorun: false,
    });
    this.#worker = worker;
    worker.on('error', (error) => this.#onError(error));
    // BullMQ's backend reports 'ready' each time one of its connections (re)connects.
    worker.getBackend().on('ready', () => this.#outage.connected());
    worker.on('stalled', (jobId) => log.event('lost', { job: jobId, message: 'its worker stopped renewing the lock; it goes back to the queue' }));
    log.event('ready', { url: describeUrl(url), queue, concurrency, root, version: MULTIPROC_VERSION, worker: this.#identity });
    const running = worker.run();
    try {
      // A stop while Redis is away leaves BullMQ's run() and waitUntilReady() pending: #stopped ends the wait.
      await Promise.race([worker.waitUntilReady().then(() => running), fatal, this.#stopped]);
    } catch (error) {
      // A stop while Redis was never reached ends BullMQ's wait for it with the last connection error.
      if (!this.#stopping) throw error;
    } finally {
      if (!this.#stopping) void this.stop(true);
      await this.#stopped;
    }
  }

  /** Refused credentials or certificate: stop (retrying cannot help); an outage: one line; else: as it is. */
  #onError(error: Error): void {
    const refusal = refusalError('multiproc worker', this.#options.url, error);
    if (refusal) this.#refused(refusal);
    else if (redisFailureKind(error) === 'outage') {
      this.#outage.failed(error);
      // A graceful stop waits for Redis to store the results: with Redis away, it would wait for ever.
      if (this.#stopping && !this.#isStoppingNow) {
        this.#options.log.event('stop', { message: 'Redis is unreachable: stopping now; running tasks go back to the queue once their locks expire' });
        void this.stop(true);
      }
    } else this.#options.log.event('error', { message: error.message });
  }

  #refused(refusal: Error): void {
    this.#refusals += 1;
    const fail = () => {
      clearTimeout(this.#refusalTimer);
      this.#fatal?.(refusal);
    };
    if (this.#refusals >= CONNECTIONS) fail();
    else this.#refusalTimer ??= setTimeout(fail, REFUSAL_SETTLE_MS);
  }

  /** False while Redis cannot be reached (between an `unreachable` line and a `connected` one). */
  get isRedisReachable(): boolean {
    return !this.#outage.isOut;
  }

  /**
   * True after a stop that had to leave BullMQ's graceful close waiting for Redis: its timers and
   * sockets stay, so the process must exit by itself.
   */
  get isBullmqAbandoned(): boolean {
    return this.#isBullmqAbandoned;
  }

  /**
   * Stops taking jobs. `force` false: the running ones finish first (a first SIGINT/SIGTERM);
   * true: they are dropped, and BullMQ gives them to another worker once their lock expires.
   * A forced stop may overtake a graceful one under way.
   */
  stop(force: boolean): Promise<void> {
    if (this.#stopping && (!force || this.#isStoppingNow)) return this.#stopping;
    const worker = this.#worker;
    // BullMQ's close(true) during its close(false) returns that same close, which may wait for
    // Redis for ever: a stop now after a graceful one only ends the local tasks.
    const isOvertaking = this.#stopping !== undefined;
    this.#isStoppingNow = force;
    const stopping = (async () => {
      if (!force) {
        await worker?.close(false);
        this.#pool.close();
        await this.#pool.join();
      } else if (isOvertaking) {
        this.#isBullmqAbandoned = true;
        await this.#pool.terminate();
      } else {
        await worker?.close(true);
        await this.#pool.terminate();
      }
    })();
    this.#stopping = stopping;
    void stopping.then(this.#markStopped, this.#markStopped);
    return stopping;
  }

  async #process(job: Job): Promise<string> {
    const { log } = this.#options;
    const data = job.data as JobData;
    const attempts = typeof data?.attempts === 'number' ? data.attempts : 1;
    if (job.stalledCounter >= attempts) {
      log.event('failed', { job: job.id, task: job.name, message: `lost ${job.stalledCounter} workers; not run again` });
      const error = new WorkerLostError(
        `Pool (redis context): the task "${job.name}" lost its worker ${job.stalledCounter} times (attempts: ${attempts}): ` +
          'each worker running it died or stopped renewing its lock. It was not run again; it may be what kills them.',
      );
      return packOutcome(false, error, 'error');
    }
    const startedMs = Date.now();
    log.event('start', { job: job.id, task: job.name, attempt: job.stalledCounter + 1 });
    const heartbeat = setInterval(() => void job.updateProgress(Date.now() - startedMs).catch(() => {}), HEARTBEAT_MS);
    try {
      const value = await this.#run(data);
      log.event('done', { job: job.id, task: job.name, ms: Date.now() - startedMs });
      return packOutcome(true, value, 'result');
    } catch (error) {
      log.event('failed', { job: job.id, task: job.name, ms: Date.now() - startedMs, message: (error as Error)?.message });
      return packOutcome(false, error, 'error');
    } finally {
      clearInterval(heartbeat);
    }
  }

  async #run(data: JobData): Promise<unknown> {
    checkJobData(data, this.#identity);
    const task = resolveJobTask(data, this.#options.root, this.#identity);
    const items = unpackEncoded(data.payload, 'job payload');
    if (!Array.isArray(items)) throw new TypeError('multiproc worker: a job payload must be an array');
    const options = data.taskTimeoutMs === undefined ? {} : { taskTimeout: data.taskTimeoutMs };
    if (data.mode === 0) return this.#pool.apply(task, items, options);
    if (data.mode === 1) return this.#pool.map(task, items, options);
    return this.#pool.starmap(task, items as unknown[][], options);
  }
}
