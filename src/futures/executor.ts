// ProcessPoolExecutor and ThreadPoolExecutor: Python's concurrent.futures executors, on a Pool
// (which batches small calls into few messages). Calls wait in the executor until a window of
// them is handed to the pool: a future is "running" once handed over, and only pending ones can
// be cancelled, as in Python. The window is Python's (workers + 1) while calls are slow, and
// grows while they are quick, so thousands of tiny calls still travel in batches.

import type { ContextName } from '../backends/backend.js';
import { cpuCount } from '../cpu/cpu-count.js';
import { BrokenProcessPool, BrokenThreadPool, InvalidStateError, type ProcessError, TimeoutError, WorkerLostError } from '../base/errors.js';
import type { AsyncResult } from '../pool/async-result.js';
import type { Input, Returning } from '../pool/options.js';
import { Pool } from '../pool/pool.js';
import type { RedisOptions } from '../remote/redis-options.js';
import { type AnyFunction, describeTask, type Task, type TaskDescriptor } from '../tasks/task-ref.js';
import { checkInteger, checkOptionsObject, checkTimeout, invalidType } from '../base/validate.js';
import { Deadline } from '../base/deadline.js';
import { keepAlive } from '../base/keep-alive.js';
import { type CallOutcome, callCapturing } from './call-capturing.js';
import { Future } from './future.js';

export interface ExecutorOptions<I extends unknown[] = unknown[]> {
  /** Workers. @default cpuCount() for processes, min(32, cpuCount() + 4) for threads */
  maxWorkers?: number;
  /** Run once in each worker before its first call. */
  initializer?: Task<(...args: never) => unknown>;
  initArgs?: I;
}

export interface ProcessPoolExecutorOptions<I extends unknown[] = unknown[]> extends ExecutorOptions<I> {
  /** Replace a worker after it ran this many calls. @default unlimited */
  maxTasksPerChild?: number;
  /** Always the local processes here; `{ context: 'redis', url }` runs calls on `multiproc worker` processes. */
  context?: undefined;
}

/** A ProcessPoolExecutor whose calls run on `multiproc worker` processes through Redis (SPEC §12). */
export interface RedisExecutorOptions extends RedisOptions {
  readonly context: 'redis';
  /** The parallelism the executor plans for (calls handed to Redis at once). @default 16 */
  maxWorkers?: number;
}

const REDIS_PLANNED_WORKERS = 16;

export interface ExecutorMapOptions {
  /** Overall deadline (ms): the iteration rejects with TimeoutError when a result is not there by then. */
  timeout?: number | null;
  /** Calls sent to a worker together. @default 1 */
  chunkSize?: number;
  /** Aborting stops the iteration (rejects with the signal's reason) and drops calls not started. */
  signal?: AbortSignal;
}

export interface ShutdownOptions {
  /** Wait until every call has finished and the workers have exited. @default true */
  wait?: boolean;
  /** Cancel the calls that have not started. @default false */
  cancelFutures?: boolean;
}

interface WorkItem {
  readonly future: Future<unknown>;
  readonly fn: Task<AnyFunction>;
  readonly args: unknown[];
}

/** Calls that finish within this many ms let the window grow. */
const QUICK_CALL_MS = 10;
const LARGEST_WINDOW = 512;

abstract class PoolExecutor {
  readonly #pool: Pool;
  readonly #name: string;
  readonly #broken: new (message: string, options?: ErrorOptions) => ProcessError;
  readonly #queue: WorkItem[] = [];
  readonly #running = new Set<Future<unknown>>();
  readonly #smallestWindow: number;
  readonly #workers: number;
  /**
   * Whether calls of one function may travel together through callCapturing. Not in the redis
   * context: a worker there refuses multiproc's own modules as tasks (tasks/task-trust.ts), since
   * callCapturing runs whatever task descriptor it is given; each call is its own job instead.
   */
  readonly #canBatch: boolean;
  #window: number;
  #isShutdown = false;
  #isRefillDue = false;
  #brokenError: ProcessError | null = null;
  #idle: (() => void) | null = null;

  protected constructor(name: string, context: ContextName | 'redis', workers: number, options: ProcessPoolExecutorOptions | RedisExecutorOptions) {
    this.#name = name;
    this.#broken = context === 'thread' ? BrokenThreadPool : BrokenProcessPool;
    this.#pool =
      options.context === 'redis'
        ? new Pool({ ...options, processes: workers, context: 'redis' })
        : new Pool({
            processes: workers,
            context: context as ContextName,
            initializer: options.initializer,
            initArgs: options.initArgs,
            maxTasksPerChild: options.maxTasksPerChild,
          });
    this.#workers = workers;
    this.#canBatch = context !== 'redis';
    this.#smallestWindow = workers + 1;
    this.#window = this.#smallestWindow;
  }

  /** Schedules `fn(...args)`; returns its Future. Throws after shutdown() or once the executor is broken. */
  submit<A extends unknown[], R>(fn: Task<Returning<A, R>>, ...args: A): Future<Awaited<R>> {
    this.#assertUsable(`${this.#name}.submit`);
    const future = new Future<Awaited<R>>();
    const item: WorkItem = { future: future as Future<unknown>, fn: fn as Task<AnyFunction>, args };
    if (this.#running.size < this.#window && this.#queue.length === 0) this.#start(item, true);
    else this.#queue.push(item);
    return future;
  }

  /**
   * Python's `Executor.map`: `fn` applied to the items of the iterables taken together, results
   * in input order as an async iterable. Input is read lazily, a window of calls ahead.
   */
  map<T, R>(fn: Task<Returning<[T], R>>, iterable: Input<T>, options?: ExecutorMapOptions): AsyncGenerator<Awaited<R>>;
  map<T1, T2, R>(fn: Task<Returning<[T1, T2], R>>, first: Input<T1>, second: Input<T2>, options?: ExecutorMapOptions): AsyncGenerator<Awaited<R>>;
  map<T1, T2, T3, R>(
    fn: Task<Returning<[T1, T2, T3], R>>,
    first: Input<T1>,
    second: Input<T2>,
    third: Input<T3>,
    options?: ExecutorMapOptions,
  ): AsyncGenerator<Awaited<R>>;
  map(fn: Task<AnyFunction>, ...iterablesAndOptions: unknown[]): AsyncGenerator<unknown>;
  map(fn: Task<AnyFunction>, ...iterablesAndOptions: unknown[]): AsyncGenerator<unknown> {
    const where = `${this.#name}.map`;
    this.#assertUsable(where);
    const { iterables, options } = splitMapArguments(where, iterablesAndOptions);
    const timeoutMs = checkTimeout(`${where}: "timeout"`, options.timeout);
    const chunkSize = options.chunkSize === undefined ? 1 : checkInteger(`${where}: "chunkSize"`, options.chunkSize, 1);
    return this.#mapChunks(where, fn, zip(iterables), chunkSize, timeoutMs, options.signal);
  }

  /**
   * Stops accepting calls; with `cancelFutures`, cancels those not started. With `wait` (the
   * default), resolves once every call has finished and the workers have exited.
   */
  async shutdown(options?: ShutdownOptions): Promise<void> {
    checkOptionsObject(`${this.#name}.shutdown: "options"`, options);
    const wait = options?.wait ?? true;
    if (typeof wait !== 'boolean') throw invalidType(`${this.#name}.shutdown: "wait"`, 'a boolean', wait);
    this.#isShutdown = true;
    if (options?.cancelFutures) for (const item of this.#queue.splice(0)) item.future.cancel();
    const closing = this.#whenIdle().then(async () => {
      this.#pool.close();
      await this.#pool.join();
    });
    if (wait) await keepAlive(closing);
    else closing.catch(() => {});
  }

  /** `await using executor = new ProcessPoolExecutor()`: shutdown({ wait: true }) at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  toString(): string {
    const state = this.#brokenError ? 'broken' : this.#isShutdown ? 'shut down' : 'running';
    return `<${this.#name} ${state}, ${this.#running.size} running, ${this.#queue.length} pending>`;
  }

  #assertUsable(where: string): void {
    if (this.#brokenError) throw this.#brokenError;
    if (this.#isShutdown) throw new InvalidStateError(`${where}: cannot schedule new calls after shutdown().`);
  }

  /** Hands a call to the pool. A call submitted straight away throws its bad input at submit(). */
  #start(item: WorkItem, throwBadInput: boolean): void {
    if (item.future.setRunningOrNotifyCancel()) this.#hand(item, throwBadInput);
  }

  #hand(item: WorkItem, throwBadInput: boolean): void {
    const startedAt = performance.now();
    const callsAhead = this.#running.size;
    this.#running.add(item.future);
    try {
      this.#pool.applyAsync(item.fn, item.args, {
        callback: (value) => this.#finished(item.future, startedAt, callsAhead, () => item.future.setResult(value)),
        errorCallback: (error) => this.#failed(item.future, error),
      });
    } catch (error) {
      this.#running.delete(item.future);
      if (throwBadInput) throw error;
      item.future.setException(error as Error);
    }
  }

  /**
   * Hands several calls of one function over as one pool job: they travel to the workers in
   * batches. Each runs through callCapturing, so a call that throws fails its own future only.
   */
  #startTogether(items: WorkItem[]): void {
    const started = items.filter((item) => item.future.setRunningOrNotifyCancel());
    if (started.length === 0) return;
    const startedAt = performance.now();
    try {
      const descriptor = describeTask(`${this.#name}.submit: "fn"`, started[0]!.fn);
      this.#pool.starmapAsync(
        callCapturing,
        started.map((item) => [descriptor, item.args] as [TaskDescriptor, unknown[]]),
        {
          callback: (outcomes) => this.#finishedTogether(started, startedAt, outcomes),
          errorCallback: (error) => this.#failedTogether(started, error),
        },
      );
      for (const item of started) this.#running.add(item.future);
    } catch {
      for (const item of started) this.#hand(item, false); // bad input somewhere: each call fails alone
    }
  }

  #finishedTogether(items: WorkItem[], startedAt: number, outcomes: CallOutcome[]): void {
    this.#adaptWindow((performance.now() - startedAt) / Math.ceil(items.length / this.#workers));
    items.forEach((item, index) => {
      if (!this.#running.delete(item.future)) return; // failed already, when the executor broke
      const outcome = outcomes[index]!;
      if ('error' in outcome) item.future.setException(outcome.error as Error);
      else item.future.setResult(outcome.value);
    });
    this.#startQueued();
  }

  #failedTogether(items: WorkItem[], error: Error): void {
    if (error instanceof WorkerLostError) return void this.#breakWith(error);
    for (const item of items) if (this.#running.delete(item.future)) item.future.setException(error);
    this.#startQueued();
  }

  #finished(future: Future<unknown>, startedAt: number, callsAhead: number, settle: () => void): void {
    if (!this.#running.delete(future)) return; // failed already, when the executor broke
    // The call waited behind those handed over before it: its own time is a share of the wait.
    this.#adaptWindow((performance.now() - startedAt) / (1 + Math.floor(callsAhead / this.#workers)));
    settle();
    this.#startQueued();
  }

  #failed(future: Future<unknown>, error: Error): void {
    if (error instanceof WorkerLostError) this.#breakWith(error);
    else this.#finished(future, performance.now(), 0, () => future.setException(error));
  }

  /** Quick calls: hand over more at once (batches); slow ones: Python's window, so the rest stay cancellable. */
  #adaptWindow(elapsedMs: number): void {
    if (elapsedMs < QUICK_CALL_MS) this.#window = Math.min(LARGEST_WINDOW, this.#window * 2);
    else this.#window = this.#smallestWindow;
  }

  /**
   * Refills the window once half of it has drained, in one go after the current results are
   * handled: calls handed over together travel to the workers together.
   */
  #startQueued(): void {
    if (this.#running.size === 0 && this.#queue.length === 0) this.#idle?.();
    if (this.#isRefillDue || this.#queue.length === 0 || this.#running.size > this.#window / 2) return;
    this.#isRefillDue = true;
    queueMicrotask(() => {
      this.#isRefillDue = false;
      const taken = this.#queue.splice(0, Math.max(0, this.#window - this.#running.size));
      for (const calls of groupByFunction(taken)) {
        if (calls.length > 1 && this.#canBatch) this.#startTogether(calls);
        else for (const call of calls) this.#start(call, false);
      }
    });
  }

  #whenIdle(): Promise<void> {
    if (this.#running.size === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idle = resolve;
    });
  }

  /** A worker died: as in Python, the executor is broken and every call not finished fails. */
  #breakWith(cause: Error): void {
    if (this.#brokenError) return;
    const what = this.#broken === BrokenThreadPool ? 'A thread of the pool' : 'A process of the pool';
    this.#brokenError = new this.#broken(
      `${this.#name}: ${what} ended abruptly while a call was running or pending; the executor cannot be used any more (${cause.message})`,
      { cause },
    );
    const unfinished = [...this.#running, ...this.#queue.splice(0).map((item) => item.future)];
    this.#running.clear();
    for (const future of unfinished) if (!future.done()) future.setException(this.#brokenError);
    this.#idle?.();
    this.#pool.terminate().catch(() => {});
  }

  /** Runs chunks of calls through the pool, a window ahead, and yields their results in order. */
  async *#mapChunks(
    where: string,
    fn: Task<AnyFunction>,
    argumentLists: AsyncIterator<unknown[]>,
    chunkSize: number,
    timeoutMs: number | undefined,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<unknown> {
    const deadline = Deadline.after(timeoutMs);
    const ahead: AsyncResult<unknown[]>[] = [];
    let isInputDone = false;
    const fill = async () => {
      while (!isInputDone && ahead.length < Math.max(2, Math.ceil(this.#window / chunkSize))) {
        const chunk: unknown[][] = [];
        while (chunk.length < chunkSize) {
          const next = await argumentLists.next();
          if (next.done) {
            isInputDone = true;
            break;
          }
          chunk.push(next.value);
        }
        if (chunk.length > 0) ahead.push(this.#pool.starmapAsync(fn, chunk, { chunkSize, signal }));
      }
    };
    try {
      for (;;) {
        this.#assertUsable(where);
        await fill();
        const next = ahead.shift();
        if (!next) return;
        yield* await this.#resultsOf(where, next, deadline.remaining());
      }
    } finally {
      await argumentLists.return?.();
    }
  }

  async #resultsOf(where: string, chunk: AsyncResult<unknown[]>, remainingMs: number | undefined): Promise<unknown[]> {
    try {
      return await chunk.get(remainingMs);
    } catch (error) {
      if (error instanceof WorkerLostError) this.#breakWith(error);
      if (this.#brokenError && error instanceof WorkerLostError) throw this.#brokenError;
      if (error instanceof TimeoutError) throw new TimeoutError(`${where}: a result was not there within the ${remainingMs} ms left of "timeout".`);
      throw error;
    }
  }
}

/** Calls grouped by function, each group in submission order. */
function groupByFunction(items: WorkItem[]): WorkItem[][] {
  const groups = new Map<unknown, WorkItem[]>();
  for (const item of items) {
    const group = groups.get(item.fn);
    if (group) group.push(item);
    else groups.set(item.fn, [item]);
  }
  return [...groups.values()];
}

function isIterable(value: unknown): value is Input<unknown> {
  return typeof value === 'object' && value !== null && (Symbol.iterator in value || Symbol.asyncIterator in value);
}

function splitMapArguments(where: string, rest: unknown[]): { iterables: Input<unknown>[]; options: ExecutorMapOptions } {
  const last = rest.at(-1);
  const hasOptions = rest.length > 1 && !isIterable(last);
  const iterables = hasOptions ? rest.slice(0, -1) : rest;
  if (iterables.length === 0) throw invalidType(`${where}: "iterables"`, 'at least one iterable', undefined);
  iterables.forEach((iterable, index) => {
    if (!isIterable(iterable)) throw invalidType(`${where}: "iterables[${index}]"`, 'an iterable or async iterable', iterable);
  });
  const options = (hasOptions ? last : {}) as ExecutorMapOptions;
  checkOptionsObject(`${where}: "options"`, options);
  return { iterables: iterables as Input<unknown>[], options };
}

/** The iterables taken together, as Python's zip: it stops with the shortest. */
async function* zip(iterables: Input<unknown>[]): AsyncGenerator<unknown[]> {
  const iterators = iterables.map((iterable) =>
    Symbol.asyncIterator in iterable ? iterable[Symbol.asyncIterator]() : (iterable as Iterable<unknown>)[Symbol.iterator](),
  );
  try {
    for (;;) {
      const nexts = await Promise.all(iterators.map((iterator) => iterator.next()));
      if (nexts.some((next) => next.done)) return;
      yield nexts.map((next) => next.value);
    }
  } finally {
    await Promise.all(iterators.map((iterator) => iterator.return?.()));
  }
}

function checkWorkers(where: string, value: unknown, byDefault: number): number {
  return value === undefined || value === null ? byDefault : checkInteger(`${where}: "maxWorkers"`, value, 1);
}

/**
 * Python's `ProcessPoolExecutor`: calls run in worker processes.
 *
 * @example
 * await using executor = new ProcessPoolExecutor();
 * const future = executor.submit(isPrime, 112272535095293);
 * console.log(await future.result());
 */
export class ProcessPoolExecutor extends PoolExecutor {
  constructor(options: ProcessPoolExecutorOptions | RedisExecutorOptions = {}) {
    checkOptionsObject('ProcessPoolExecutor: "options"', options);
    const isRedis = options.context === 'redis';
    const workers = checkWorkers('ProcessPoolExecutor', options.maxWorkers, isRedis ? REDIS_PLANNED_WORKERS : cpuCount());
    super('ProcessPoolExecutor', isRedis ? 'redis' : 'process', workers, options);
  }
}

/**
 * Python's `ThreadPoolExecutor`: calls run in worker threads of this process (so, as for every
 * multiproc task, `fn` is registered or self-contained, and arguments are copied).
 */
export class ThreadPoolExecutor extends PoolExecutor {
  constructor(options: ExecutorOptions = {}) {
    checkOptionsObject('ThreadPoolExecutor: "options"', options);
    super('ThreadPoolExecutor', 'thread', checkWorkers('ThreadPoolExecutor', options.maxWorkers, Math.min(32, cpuCount() + 4)), options);
  }
}
