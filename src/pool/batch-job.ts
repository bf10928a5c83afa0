// A call whose input is read whole before it starts (map, starmap, apply and their Async
// forms): its tasks are submitted at once and its result settles when the last one is in.
// The first failure settles it and drops its tasks still queued, as Python's MapResult fails.

import type { ProgressReporter } from './progress.js';
import type { TaskRunner } from './task-runner.js';
import { type AsyncResult, settleResult } from './async-result.js';
import { type Job, listenForAbort, type PoolTask, type TaskOutcome } from './worker-slot.js';

export interface BatchJobOptions<R> {
  readonly scheduler: TaskRunner;
  readonly functionId: number;
  readonly result: AsyncResult<R>;
  /** apply: the only task's value is the result; map: the chunks' values are concatenated. */
  readonly isSingle: boolean;
  readonly isExclusive: boolean;
  readonly taskTimeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly progress: ProgressReporter | undefined;
  readonly callback?: (value: R) => void;
  readonly errorCallback?: (error: Error) => void;
  readonly onDone: () => void;
}

/** Reports an error thrown by a user's callback without losing it, as an event listener's would be. */
export function reportCallbackError(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/** The chunks' results in one array (a plain loop: flat(1) is ten times slower on large chunks). */
function concatChunks(chunks: unknown[]): unknown[] {
  let length = 0;
  for (const chunk of chunks) length += (chunk as unknown[]).length;
  const values = new Array<unknown>(length);
  let at = 0;
  for (const chunk of chunks as unknown[][]) for (let index = 0; index < chunk.length; index++) values[at++] = chunk[index];
  return values;
}

export class BatchJob<R> implements Job {
  readonly functionId: number;
  readonly isExclusive: boolean;
  readonly taskTimeoutMs: number | undefined;
  readonly #options: BatchJobOptions<R>;
  #chunkValues: unknown[] = [];
  #pendingTasks = 0;
  #itemsDone = 0;
  #isDone = false;
  readonly #stopListening: () => void;

  constructor(options: BatchJobOptions<R>) {
    this.#options = options;
    this.functionId = options.functionId;
    this.isExclusive = options.isExclusive;
    this.taskTimeoutMs = options.taskTimeoutMs;
    this.#stopListening = listenForAbort(options.signal, (reason) => this.fail(reason, true));
  }

  get isDone(): boolean {
    return this.#isDone;
  }

  /** Submits all tasks; an empty input succeeds at once (map of [] is []). */
  start(tasks: PoolTask[]): void {
    if (this.#isDone) return;
    this.#chunkValues = new Array(tasks.length);
    this.#pendingTasks = tasks.length;
    if (tasks.length === 0) {
      this.#succeed();
      return;
    }
    for (const task of tasks) this.#options.scheduler.submit(task);
  }

  settle(task: PoolTask, outcome: TaskOutcome): void {
    if (this.#isDone) return;
    if (!outcome.isOk) {
      this.fail(outcome.error, false);
      return;
    }
    this.#chunkValues[task.index] = outcome.value;
    this.#itemsDone += task.size;
    this.#options.progress?.update(this.#itemsDone);
    if (--this.#pendingTasks === 0) this.#succeed();
  }

  /** Fails the call; `stopRunning` also stops its running tasks (abort). */
  fail(error: unknown, stopRunning: boolean): void {
    if (this.#isDone) return;
    this.#finish();
    this.#options.scheduler.cancel(this, stopRunning);
    settleResult(this.#options.result, { isOk: false, error });
    const errorCallback = this.#options.errorCallback;
    if (errorCallback) {
      try {
        errorCallback(error as Error);
      } catch (callbackError) {
        reportCallbackError(callbackError);
      }
    }
  }

  #succeed(): void {
    const value = (this.#options.isSingle ? this.#chunkValues[0] : concatChunks(this.#chunkValues)) as R;
    this.#finish();
    settleResult(this.#options.result, { isOk: true, value });
    const callback = this.#options.callback;
    if (callback) {
      try {
        callback(value);
      } catch (callbackError) {
        reportCallbackError(callbackError);
      }
    }
  }

  #finish(): void {
    this.#isDone = true;
    this.#chunkValues = [];
    this.#options.progress?.finish();
    this.#stopListening();
    this.#options.onDone();
  }
}
