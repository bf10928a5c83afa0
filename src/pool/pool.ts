// Pool: Python's multiprocessing.Pool over processes or worker threads. This file is the
// public edge: it checks arguments, cuts input into tasks and creates the job for each call;
// the Scheduler runs the tasks, BatchJob and StreamJob assemble their results.

import type { ContextName } from '../backends/backend.js';
import { backendFor, checkContextName, getStartMethod } from '../backends/start-method.js';
import { cpuCount } from '../cpu/cpu-count.js';
import { CancelledError, InvalidStateError } from '../base/errors.js';
import { keepAlive } from '../base/keep-alive.js';
import { assertMayStartChildren } from '../base/identity.js';
import { assertBullmqInstalled } from '../remote/bullmq.js';
import { checkRedisOptions, type RedisOptions } from '../remote/redis-options.js';
import { type Destination, type Encoded, encodeItems } from '../tasks/codec.js';
import { describeTask, type Task } from '../tasks/task-ref.js';
import { checkInteger, checkOptionsObject, invalidType } from '../base/validate.js';
import { AsyncResult } from './async-result.js';
import { BatchJob } from './batch-job.js';
import { automaticChunkSize, collect, isIterable } from './chunks.js';
import { TaskMode } from './messages.js';
import {
  argumentsOf,
  checkCallbacks,
  checkProcesses,
  checkTaskOptions,
  encodeArgs,
  type ImapIterator,
  type ImapOptions,
  type Input,
  type MapOptions,
  type PoolOptions,
  type ResultCallbacks,
  type Returning,
  type TaskOptions,
} from './options.js';
import { createProgress } from './progress.js';
import { RedisScheduler } from './redis-scheduler.js';
import { Scheduler } from './scheduler.js';
import type { TaskRunner } from './task-runner.js';
import { StreamJob } from './stream-job.js';
import type { Job, PoolTask } from './worker-slot.js';

/** A call in flight that terminate() can cancel. */
interface CancellableJob {
  fail(error: unknown, stopRunning: boolean): void;
}

type PoolState = 'run' | 'close' | 'terminate';

interface CallShape {
  readonly where: string;
  readonly mode: TaskMode;
}

const MAP: CallShape = { where: 'Pool.map', mode: TaskMode.MapChunk };
const STARMAP: CallShape = { where: 'Pool.starmap', mode: TaskMode.StarmapChunk };

/**
 * A pool of worker processes (or threads) that run tasks in parallel.
 *
 * @example
 * await using pool = new Pool();
 * const squares = await pool.map(square, [1, 2, 3]); // [1, 4, 9]
 */
/** The options of a Pool whose tasks run on `multiproc worker` processes through Redis (SPEC §12). */
export interface RedisPoolOptions extends RedisOptions {
  readonly context: 'redis';
  /** The parallelism the pool plans for: map's automatic chunks and imap's read-ahead. @default 16 */
  processes?: number;
}

/** Map's automatic chunks in the redis context plan for this many workers (they are not known). */
const REDIS_PLANNED_PROCESSES = 16;

export class Pool {
  readonly #scheduler: TaskRunner;
  readonly #processes: number;
  readonly #context: ContextName | 'redis';
  readonly #destination: Destination;
  #state: PoolState = 'run';
  readonly #jobs = new Set<CancellableJob>();

  constructor(processesOrOptions?: number | PoolOptions | RedisPoolOptions | null) {
    const options: PoolOptions | RedisPoolOptions =
      typeof processesOrOptions === 'number' ? { processes: processesOrOptions } : (processesOrOptions ?? {});
    checkOptionsObject('Pool: "options"', options);
    if (options.context === 'redis') {
      this.#context = 'redis';
      this.#destination = 'peer';
      this.#processes = options.processes == null ? REDIS_PLANNED_PROCESSES : checkProcesses(options.processes);
      this.#scheduler = Pool.#redisScheduler(options);
      return;
    }
    assertMayStartChildren('Pool');
    this.#context = checkContextName('Pool: "context"', options.context ?? getStartMethod());
    const backend = backendFor(this.#context);
    this.#destination = backend.destination;
    this.#processes = options.processes == null ? cpuCount() : checkProcesses(options.processes);
    const maxTasks = options.maxTasksPerChild;
    this.#scheduler = new Scheduler({
      backend,
      processes: this.#processes,
      workerName: this.#context === 'thread' ? 'ThreadPoolWorker' : 'PoolWorker',
      initializer: options.initializer == null ? undefined : describeTask('Pool: "initializer"', options.initializer),
      initArgs: encodeArgs('Pool: initArgs', options.initArgs, backend.destination),
      maxTasksPerChild: maxTasks == null ? undefined : checkInteger('Pool: "maxTasksPerChild"', maxTasks, 1),
      resourceLimits: options.resourceLimits,
    });
  }

  static #redisScheduler(options: RedisPoolOptions): RedisScheduler {
    const checked = checkRedisOptions('Pool', options);
    assertBullmqInstalled('Pool (redis context)');
    return new RedisScheduler(checked);
  }

  /** The number of workers (in the redis context: the parallelism it plans chunks for). */
  get processes(): number {
    return this.#processes;
  }

  /** 'process', 'thread' or 'redis'. */
  get context(): ContextName | 'redis' {
    return this.#context;
  }

  /** The pids of the live workers (a thread's pid is its process's). */
  workerPids(): number[] {
    return this.#scheduler.workerPids;
  }

  /** Python's `Pool.map`: `fn` applied to every item, results in input order. */
  async map<A, R>(fn: Task<Returning<[A], R>>, iterable: Input<A>, options?: MapOptions): Promise<Awaited<R>[]> {
    return this.#startBatch<Awaited<R>[]>(MAP, fn, iterable, options, {}).get();
  }

  /** Python's `Pool.starmap`: each item is an array of arguments. */
  async starmap<A extends unknown[], R>(
    fn: Task<Returning<A, R>>,
    iterable: Input<A>,
    options?: MapOptions,
  ): Promise<Awaited<R>[]> {
    return this.#startBatch<Awaited<R>[]>(STARMAP, fn, iterable, options, {}).get();
  }

  /** Python's `Pool.map_async`. Throws at once on bad arguments or a closed pool. */
  mapAsync<A, R>(
    fn: Task<Returning<[A], R>>,
    iterable: Input<A>,
    options?: MapOptions & ResultCallbacks<Awaited<R>[]>,
  ): AsyncResult<Awaited<R>[]> {
    return this.#startBatch({ ...MAP, where: 'Pool.mapAsync' }, fn, iterable, options, options ?? {});
  }

  /** Python's `Pool.starmap_async`. */
  starmapAsync<A extends unknown[], R>(
    fn: Task<Returning<A, R>>,
    iterable: Input<A>,
    options?: MapOptions & ResultCallbacks<Awaited<R>[]>,
  ): AsyncResult<Awaited<R>[]> {
    return this.#startBatch({ ...STARMAP, where: 'Pool.starmapAsync' }, fn, iterable, options, options ?? {});
  }

  /** Python's `Pool.apply`: one call, `fn(...args)`, in a worker. */
  async apply<A extends unknown[], R>(fn: Task<Returning<A, R>>, args?: A, options?: TaskOptions): Promise<Awaited<R>> {
    return this.#startApply<Awaited<R>>('Pool.apply', fn, args, options, {}).get();
  }

  /** Python's `Pool.apply_async`. Throws at once on bad arguments or a closed pool. */
  applyAsync<A extends unknown[], R>(
    fn: Task<Returning<A, R>>,
    args?: A,
    options?: TaskOptions & ResultCallbacks<Awaited<R>>,
  ): AsyncResult<Awaited<R>> {
    return this.#startApply('Pool.applyAsync', fn, args, options, options ?? {});
  }

  /** Python's `Pool.imap`: results in input order, streamed; input read lazily. */
  imap<A, R>(fn: Task<Returning<[A], R>>, iterable: Input<A>, options?: ImapOptions): ImapIterator<Awaited<R>> {
    return this.#startStream('Pool.imap', true, fn, iterable, options);
  }

  /** Python's `Pool.imap_unordered`: results as they complete. */
  imapUnordered<A, R>(
    fn: Task<Returning<[A], R>>,
    iterable: Input<A>,
    options?: ImapOptions,
  ): ImapIterator<Awaited<R>> {
    return this.#startStream('Pool.imapUnordered', false, fn, iterable, options);
  }

  /** No more work will be submitted; workers exit once the queued work is done. */
  close(): void {
    if (this.#state === 'run') {
      this.#state = 'close';
      this.#scheduler.close();
    }
  }

  /** Stops the workers now; results still pending reject with CancelledError. */
  async terminate(): Promise<void> {
    if (this.#state !== 'terminate') {
      this.#state = 'terminate';
      const error = new CancelledError('Pool.terminate: the pool was terminated before this work finished.');
      for (const job of [...this.#jobs]) job.fail(error, false);
      this.#scheduler.terminate();
    }
    await this.#scheduler.whenAllExited();
  }

  /** Waits for the workers to exit; call close() or terminate() first. Holds the event loop open meanwhile. */
  async join(): Promise<void> {
    if (this.#state === 'run') {
      throw new InvalidStateError('Pool.join: the pool is still running; call close() or terminate() first.');
    }
    await keepAlive(this.#scheduler.whenAllExited());
  }

  /** `await using pool = new Pool()`: close() then join(), so outstanding work finishes. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.join();
  }

  #assertRunning(where: string): void {
    if (this.#state !== 'run') {
      throw new InvalidStateError(`${where}: the pool is ${this.#state === 'close' ? 'closed' : 'terminated'} and takes no new work; create a new Pool.`);
    }
  }

  #startBatch<R>(
    shape: CallShape,
    fn: unknown,
    iterable: unknown,
    options: MapOptions | undefined,
    callbacks: ResultCallbacks<R>,
  ): AsyncResult<R> {
    const { where, mode } = shape;
    this.#assertRunning(where);
    const functionId = this.#scheduler.functionId(describeTask(`${where}: "fn"`, fn), `${where}: "fn"`);
    if (!isIterable(iterable)) throw invalidType(`${where}: "iterable"`, 'an iterable or async iterable', iterable);
    const checked = checkTaskOptions(where, options);
    checkCallbacks(where, callbacks);
    const chunkSize = options?.chunkSize == null ? undefined : checkInteger(`${where}: "chunkSize"`, options.chunkSize, 1);
    const total = Array.isArray(iterable) ? iterable.length : undefined;
    const result = new AsyncResult<R>();
    const job = this.#track(
      new BatchJob<R>({ ...checked, ...callbacks, scheduler: this.#scheduler, functionId, result, isSingle: false, progress: createProgress(options?.progress, total), onDone: () => this.#jobs.delete(job) }),
    );
    const start = (items: unknown[]) => job.start(this.#chunkTasks(job, where, mode, items, chunkSize));
    if (Array.isArray(iterable)) this.#startOrThrow(job, () => start(iterable));
    else collect(iterable as Input<unknown>).then(start).catch((error: unknown) => job.fail(error, false));
    return result;
  }

  #startApply<R>(
    where: string,
    fn: unknown,
    args: unknown,
    options: TaskOptions | undefined,
    callbacks: ResultCallbacks<R>,
  ): AsyncResult<R> {
    this.#assertRunning(where);
    const functionId = this.#scheduler.functionId(describeTask(`${where}: "fn"`, fn), `${where}: "fn"`);
    if (args != null && !Array.isArray(args)) throw invalidType(`${where}: "args"`, 'an array of arguments', args);
    const checked = checkTaskOptions(where, options);
    checkCallbacks(where, callbacks);
    const payload = encodeArgs(`${where}: args`, args ?? [], this.#destination)!;
    const result = new AsyncResult<R>();
    const job = this.#track(
      new BatchJob<R>({ ...checked, ...callbacks, scheduler: this.#scheduler, functionId, result, isSingle: true, progress: createProgress(options?.progress, 1), onDone: () => this.#jobs.delete(job) }),
    );
    job.start([this.#scheduler.createTask(job, TaskMode.Call, payload, 0, 1)]);
    return result;
  }

  #startStream<R>(
    where: string,
    isOrdered: boolean,
    fn: unknown,
    iterable: unknown,
    options: ImapOptions | undefined,
  ): StreamJob<R> {
    this.#assertRunning(where);
    const functionId = this.#scheduler.functionId(describeTask(`${where}: "fn"`, fn), `${where}: "fn"`);
    if (!isIterable(iterable)) throw invalidType(`${where}: "iterable"`, 'an iterable or async iterable', iterable);
    const checked = checkTaskOptions(where, options);
    const chunkSize = options?.chunkSize == null ? 1 : checkInteger(`${where}: "chunkSize"`, options.chunkSize, 1);
    const bufferSize =
      options?.bufferSize == null ? 4 * this.#processes : checkInteger(`${where}: "bufferSize"`, options.bufferSize, 1);
    const isAsyncSource = Symbol.asyncIterator in (iterable as object);
    const source = isAsyncSource
      ? (iterable as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      : (iterable as Iterable<unknown>)[Symbol.iterator]();
    const total = Array.isArray(iterable) ? iterable.length : undefined;
    const job: StreamJob<R> = this.#track(
      new StreamJob<R>({
        ...checked,
        scheduler: this.#scheduler,
        functionId,
        mode: TaskMode.MapChunk,
        source,
        isAsyncSource,
        chunkSize,
        bufferSize,
        isOrdered,
        progress: createProgress(options?.progress, total),
        encodeChunk: (items, first) => this.#encodeChunk(where, TaskMode.MapChunk, items, first),
        onDone: () => this.#jobs.delete(job),
      }),
    );
    return job;
  }

  #track<J extends CancellableJob>(job: J): J {
    this.#jobs.add(job);
    return job;
  }

  /** Starts a job whose input is at hand; a bad item fails the call and is thrown to the caller. */
  #startOrThrow(job: CancellableJob, start: () => void): void {
    try {
      start();
    } catch (error) {
      job.fail(error, false);
      throw error;
    }
  }

  #chunkTasks(job: Job, where: string, mode: TaskMode, items: unknown[], chunkSize?: number): PoolTask[] {
    const size = chunkSize ?? automaticChunkSize(items.length, this.#processes);
    const tasks: PoolTask[] = [];
    for (let first = 0, index = 0; first < items.length; first += size, index++) {
      const chunk = items.slice(first, first + size);
      const payload = this.#encodeChunk(where, mode, chunk, first);
      tasks.push(this.#scheduler.createTask(job, mode, payload, index, chunk.length));
    }
    return tasks;
  }

  /** Checks and encodes one chunk, naming an unsendable item by its index in the input. */
  #encodeChunk(where: string, mode: TaskMode, items: unknown[], firstItemIndex: number): Encoded {
    const pathOf = (offset: number) => `${where}: iterable[${firstItemIndex + offset}]`;
    if (mode === TaskMode.StarmapChunk) items = items.map((item, offset) => argumentsOf(pathOf(offset), item));
    return encodeItems(items, pathOf, this.#destination);
  }
}
