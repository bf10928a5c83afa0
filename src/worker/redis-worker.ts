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
import { describeUrl } from '../remote/redis-options.js';
import { checkJobData, resolveJobTask } from './job-task.js';
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

/** A job lost this many times is a poison task for BullMQ itself only far beyond our own `attempts`. */
const BULLMQ_MAX_STALLED = 1_000_000;

/** Redis's answers to a wrong or missing password. */
const AUTH_FAILURE = /WRONGPASS|NOAUTH|invalid password|invalid username-password/i;

/** One running `multiproc worker`: a BullMQ Worker feeding a local Pool. */
export class RedisWorker {
  readonly #options: RedisWorkerOptions;
  readonly #identity = `${hostname()} (pid ${process.pid})`;
  readonly #pool: Pool;
  #worker: Worker | undefined;
  #stopping: Promise<void> | undefined;
  #fatal: ((error: Error) => void) | undefined;

  constructor(options: RedisWorkerOptions) {
    this.#options = options;
    this.#pool = new Pool({ processes: options.concurrency });
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
    worker.on('error', (error) => {
      if (AUTH_FAILURE.test(error.message)) {
        this.#fatal?.(new Error(`multiproc worker: Redis at ${describeUrl(url)} refused the credentials (${error.message}). Check the password in --url.`));
      } else {
        log.event('error', { message: error.message });
      }
    });
    worker.on('stalled', (jobId) => log.event('lost', { job: jobId, message: 'its worker stopped renewing the lock; it goes back to the queue' }));
    log.event('ready', { url: describeUrl(url), queue, concurrency, root, version: MULTIPROC_VERSION, worker: this.#identity });
    const running = worker.run();
    try {
      await Promise.race([worker.waitUntilReady().then(() => running), fatal]);
    } finally {
      await (this.#stopping ?? this.stop(true));
    }
  }

  /**
   * Stops taking jobs. `force` false: the running ones finish first (a first SIGINT/SIGTERM);
   * true: they are dropped, and BullMQ gives them to another worker once their lock expires.
   */
  stop(force: boolean): Promise<void> {
    if (this.#stopping && !force) return this.#stopping;
    const worker = this.#worker;
    const stopping = (async () => {
      await worker?.close(force);
      if (force) await this.#pool.terminate();
      else {
        this.#pool.close();
        await this.#pool.join();
      }
    })();
    this.#stopping = stopping;
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
