// The options of Pool and of its task methods, and their checks: each failure names the call
// and the argument (SPEC §13), before anything is sent to a worker.

import type { ResourceLimits } from '../backends/backend.js';
import type { StartMethod } from '../backends/start-method.js';
import { type Destination, type Encoded, encodeValue } from '../tasks/codec.js';
import type { Task } from '../tasks/task-ref.js';
import { checkFunction, checkInteger, checkOptionsObject, checkTimeout, invalidType } from '../base/validate.js';
import type { ProgressOption } from './progress.js';

/** A sync or async iterable. */
export type Input<T> = Iterable<T> | AsyncIterable<T>;

/** A task function taking `A` and giving `R`, or a promise of it. */
export type Returning<A extends unknown[], R> = (...args: A) => R | PromiseLike<R>;

export interface PoolOptions<I extends unknown[] = unknown[]> {
  /** Number of workers. @default cpuCount() */
  processes?: number;
  /** Run once in each worker before its first task (Python's `initializer`). */
  // Any function: the pool cannot tie it to initArgs (its constructor is not generic).
  initializer?: Task<(...args: never) => unknown>;
  /** Arguments for `initializer`. */
  initArgs?: I;
  /** Replace a worker after it ran this many tasks (chunks). @default unlimited */
  maxTasksPerChild?: number;
  /** 'process' (OS processes) or 'thread' (worker threads). @default getStartMethod() */
  context?: StartMethod;
  /** Heap limits of each worker (threads: Worker resourceLimits; processes: --max-old-space-size). */
  resourceLimits?: ResourceLimits;
}

/** Options every task method takes. */
export interface TaskOptions {
  /** `true`: a progress bar on stderr (when a terminal); a function: called as results arrive. */
  progress?: ProgressOption;
  /** Aborting rejects the call with `signal.reason`, drops its queued tasks and stops its running ones. */
  signal?: AbortSignal;
  /** Fails a task running longer than this (ms) with TimeoutError and replaces its worker. */
  taskTimeout?: number;
}

export interface MapOptions extends TaskOptions {
  /** Items per task. @default chosen as Python does: about 4 chunks per worker (map), 1 (imap) */
  chunkSize?: number;
}

export interface ImapOptions extends MapOptions {
  /** Tasks read ahead of what the caller consumed. @default 4 x processes */
  bufferSize?: number;
}

export interface ResultCallbacks<R> {
  /** Called with the result when the call succeeds. */
  callback?: (result: R) => void;
  /** Called with the error when the call fails. */
  errorCallback?: (error: Error) => void;
}

export function checkProcesses(processes: unknown): number {
  return checkInteger('Pool: "processes"', processes, 1, 'Omit it to use cpuCount().');
}

export function encodeArgs(where: string, args: unknown, destination: Destination): Encoded | undefined {
  if (args == null) return undefined;
  if (!Array.isArray(args)) throw invalidType(where.replace(/: (\w+)$/, ': "$1"'), 'an array of arguments', args);
  return encodeValue(args, where, destination);
}

export function argumentsOf(path: string, item: unknown): unknown[] {
  if (Array.isArray(item)) return item;
  if (item !== null && typeof item === 'object' && Symbol.iterator in item) return [...(item as Iterable<unknown>)];
  throw invalidType(path, 'an array of arguments (starmap calls fn(...item))', item);
}

export interface CheckedTaskOptions {
  readonly signal: AbortSignal | undefined;
  readonly taskTimeoutMs: number | undefined;
  readonly isExclusive: boolean;
}

export function checkTaskOptions(where: string, options: TaskOptions | undefined): CheckedTaskOptions {
  checkOptionsObject(`${where}: "options"`, options);
  const signal = options?.signal ?? undefined;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalidType(`${where}: "signal"`, 'an AbortSignal', signal);
  }
  signal?.throwIfAborted();
  const taskTimeoutMs = checkTimeout(`${where}: "taskTimeout"`, options?.taskTimeout);
  const progress = options?.progress;
  if (progress !== undefined && typeof progress !== 'boolean' && typeof progress !== 'function') {
    throw invalidType(`${where}: "progress"`, 'a boolean or a function (done, total) => void', progress);
  }
  return { signal, taskTimeoutMs, isExclusive: signal !== undefined || taskTimeoutMs !== undefined };
}

export function checkCallbacks(where: string, callbacks: ResultCallbacks<never>): void {
  if (callbacks.callback != null) checkFunction(`${where}: "callback"`, callbacks.callback);
  if (callbacks.errorCallback != null) checkFunction(`${where}: "errorCallback"`, callbacks.errorCallback);
}

/** What imap and imapUnordered return: an async iterator whose next() also takes a timeout (ms). */
export interface ImapIterator<R> extends AsyncIterableIterator<R> {
  /** The next result; with `timeout`, rejects with TimeoutError when none is ready in time (the iteration goes on). */
  next(timeout?: number | null): Promise<IteratorResult<R>>;
}
