// imap / imapUnordered: a call that reads its input lazily and streams results. At most
// `bufferSize` tasks are in the pool ahead of what the caller has consumed, so an unbounded
// generator runs in flat memory; leaving the loop early drops the tasks not yet started.
// An error from the input surfaces after the results of the items before it.

import { Deadline } from '../base/deadline.js';
import { TimeoutError } from '../base/errors.js';
import { keepAlive } from '../base/keep-alive.js';
import type { Encoded } from '../tasks/codec.js';
import { checkTimeout } from '../base/validate.js';
import type { TaskMode } from './messages.js';
import type { ProgressReporter } from './progress.js';
import type { TaskRunner } from './task-runner.js';
import { type Job, listenForAbort, type PoolTask, type TaskOutcome } from './worker-slot.js';

export interface StreamJobOptions {
  readonly scheduler: TaskRunner;
  readonly functionId: number;
  readonly mode: TaskMode;
  readonly source: Iterator<unknown> | AsyncIterator<unknown>;
  readonly isAsyncSource: boolean;
  readonly chunkSize: number;
  readonly bufferSize: number;
  readonly isOrdered: boolean;
  readonly isExclusive: boolean;
  readonly taskTimeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly progress: ProgressReporter | undefined;
  /** Checks and encodes one chunk; throws a TypeError naming an unsendable item. */
  readonly encodeChunk: (items: unknown[], firstItemIndex: number) => Encoded;
  readonly onDone: () => void;
}

export class StreamJob<R> implements Job, AsyncIterableIterator<R> {
  readonly functionId: number;
  readonly isExclusive: boolean;
  readonly taskTimeoutMs: number | undefined;
  readonly #options: StreamJobOptions;
  readonly #byIndex = new Map<number, TaskOutcome>();
  readonly #arrived: TaskOutcome[] = [];
  #nextIndex = 0;
  #tasksCreated = 0;
  #tasksConsumed = 0;
  #itemsRead = 0;
  #itemsDone = 0;
  #values: unknown[] = [];
  #valuePosition = 0;
  #isReading = false;
  #isInputDone = false;
  #inputError: { readonly index: number; readonly error: unknown } | null = null;
  #failure: { readonly error: unknown } | null = null;
  #isDone = false;
  #wakers: (() => void)[] = [];
  readonly #stopListening: () => void;

  constructor(options: StreamJobOptions) {
    this.#options = options;
    this.functionId = options.functionId;
    this.isExclusive = options.isExclusive;
    this.taskTimeoutMs = options.taskTimeoutMs;
    this.#stopListening = listenForAbort(options.signal, (reason) => this.fail(reason, true));
    void this.#fill();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  settle(task: PoolTask, outcome: TaskOutcome): void {
    if (this.#isDone) return;
    if (this.#options.isOrdered) this.#byIndex.set(task.index, outcome);
    else this.#arrived.push(outcome);
    if (outcome.isOk) {
      this.#itemsDone += task.size;
      this.#options.progress?.update(this.#itemsDone);
    }
    this.#wake();
  }

  /**
   * The next result. With `timeout` (ms), rejects with TimeoutError when none is ready in time;
   * the iteration goes on (Python's `IMapIterator.next(timeout)`).
   */
  async next(timeout?: number | null): Promise<IteratorResult<R>> {
    const timeoutMs = checkTimeout('imap iterator next: "timeout"', timeout);
    const deadline = Deadline.after(timeoutMs);
    try {
      return await this.#nextResult(deadline);
    } finally {
      deadline.stop();
    }
  }

  async #nextResult(deadline: Deadline): Promise<IteratorResult<R>> {
    for (;;) {
      if (this.#valuePosition < this.#values.length) {
        return { value: this.#values[this.#valuePosition++] as R, done: false };
      }
      if (this.#failure) return this.#throwFailure();
      const outcome = this.#takeOutcome();
      if (outcome) {
        if (!outcome.isOk) {
          this.fail(outcome.error, false);
          continue;
        }
        this.#values = outcome.value as unknown[];
        this.#valuePosition = 0;
        this.#tasksConsumed += 1;
        void this.#fill();
        continue;
      }
      if (this.#isInputDone && !this.#isReading && this.#tasksConsumed === this.#tasksCreated) {
        if (this.#inputError) {
          this.fail(this.#inputError.error, false);
          continue;
        }
        this.#close();
        return { value: undefined, done: true };
      }
      if (this.#isDone) return { value: undefined, done: true };
      await this.#nextWake(deadline);
    }
  }

  /**
   * Waits for the next settle or input change, with the event loop held open; past `deadline`,
   * rejects with TimeoutError.
   */
  async #nextWake(deadline: Deadline): Promise<void> {
    const woken = new Promise<'woken'>((resolve) => this.#wakers.push(() => resolve('woken')));
    const outcome = await keepAlive(Promise.race([woken, deadline.expired()]));
    if (outcome !== 'woken') throw new TimeoutError('imap iterator next: no result was ready within the timeout; iteration can go on.');
  }

  /** Leaving a `for await` loop early: stop reading input, drop the tasks not yet started. */
  async return(value?: unknown): Promise<IteratorResult<R>> {
    this.#close();
    return { value: value as R, done: true };
  }

  #takeOutcome(): TaskOutcome | undefined {
    if (!this.#options.isOrdered) return this.#arrived.shift();
    if (this.#inputError && this.#nextIndex === this.#inputError.index) return undefined;
    const outcome = this.#byIndex.get(this.#nextIndex);
    if (outcome) {
      this.#byIndex.delete(this.#nextIndex);
      this.#nextIndex += 1;
    }
    return outcome;
  }

  #throwFailure(): never {
    const { error } = this.#failure!;
    this.#failure = null; // thrown once; the iterator is finished afterwards
    throw error;
  }

  /** Reads input until `bufferSize` tasks are ahead of the consumer. */
  async #fill(): Promise<void> {
    if (this.#isReading) return;
    this.#isReading = true;
    const { chunkSize, bufferSize } = this.#options;
    try {
      while (!this.#isInputDone && !this.#isDone && this.#tasksCreated - this.#tasksConsumed < bufferSize) {
        const items = await this.#readChunk(chunkSize);
        if (items.length > 0 && !this.#isDone) this.#submit(items);
      }
    } catch (error) {
      this.#inputError = { index: this.#tasksCreated, error };
      this.#isInputDone = true;
    } finally {
      this.#isReading = false;
      this.#wake();
    }
  }

  async #readChunk(chunkSize: number): Promise<unknown[]> {
    const items: unknown[] = [];
    const source = this.#options.source;
    while (items.length < chunkSize) {
      const step = this.#options.isAsyncSource ? await source.next() : (source.next() as IteratorResult<unknown>);
      if (step.done) {
        this.#isInputDone = true;
        break;
      }
      items.push(step.value);
    }
    return items;
  }

  #submit(items: unknown[]): void {
    const index = this.#tasksCreated++;
    const firstItemIndex = this.#itemsRead;
    this.#itemsRead += items.length;
    let payload: Encoded;
    try {
      payload = this.#options.encodeChunk(items, firstItemIndex);
    } catch (error) {
      // An unsendable item fails at its position in the results, like a failing task.
      this.settle({ index, size: items.length } as PoolTask, { isOk: false, error });
      return;
    }
    const scheduler = this.#options.scheduler;
    scheduler.submit(scheduler.createTask(this, this.#options.mode, payload, index, items.length));
  }

  /** Fails the call: the caller's next() rejects; `stopRunning` also stops its running tasks. */
  fail(error: unknown, stopRunning: boolean): void {
    if (this.#isDone) return;
    this.#failure = { error };
    this.#close(stopRunning);
  }

  #close(stopRunning = false): void {
    if (this.#isDone) return;
    this.#isDone = true;
    this.#options.scheduler.cancel(this, stopRunning);
    this.#options.progress?.finish();
    this.#stopListening();
    const source = this.#options.source;
    if (!this.#isInputDone) {
      this.#isInputDone = true;
      void Promise.resolve(source.return?.()).catch(() => {});
    }
    this.#byIndex.clear();
    this.#arrived.length = 0;
    this.#options.onDone();
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.#wakers.splice(0)) wake();
  }
}
