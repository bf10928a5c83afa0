// A pool worker: runs the initializer, then the tasks its pool sends, one at a time and in
// order. Results go back in batches: when the queue runs dry, or every FLUSH_INTERVAL_MS
// while it does not, so small tasks share messages and long ones stream their results.

import type { ParentChannel } from '../backends/backend.js';
import { getLogger } from '../base/log.js';
import { currentDestination } from '../tasks/destination.js';
import { decodeValue, encodeValue } from '../tasks/codec.js';
import { errorToRecord } from '../tasks/error-codec.js';
import { resolveTask } from '../tasks/resolve-task.js';
import type { AnyFunction, TaskDescriptor } from '../tasks/task-ref.js';
import { type FromWorker, type PoolWorkerInit, TASK_FIELDS, TaskMode, type ToWorker } from './messages.js';

const FLUSH_INTERVAL_MS = 2;

type Callable = (...args: unknown[]) => unknown;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** Runs one task's payload; sync all the way unless the function returns a promise. */
function execute(fn: Callable, mode: TaskMode, payload: unknown): unknown {
  if (mode === TaskMode.Call) return fn(...(payload as unknown[]));
  const items = payload as unknown[];
  const results = new Array<unknown>(items.length);
  for (let index = 0; index < items.length; index++) {
    const result = mode === TaskMode.MapChunk ? fn(items[index]) : fn(...(items[index] as unknown[]));
    if (isThenable(result)) return finishChunkAsync(fn, mode, items, results, index, result);
    results[index] = result;
  }
  return results;
}

async function finishChunkAsync(
  fn: Callable,
  mode: TaskMode,
  items: unknown[],
  results: unknown[],
  from: number,
  pending: PromiseLike<unknown>,
): Promise<unknown[]> {
  results[from] = await pending;
  for (let index = from + 1; index < items.length; index++) {
    results[index] = await (mode === TaskMode.MapChunk ? fn(items[index]) : fn(...(items[index] as unknown[])));
  }
  return results;
}

class PoolWorker {
  readonly #channel: ParentChannel;
  readonly #functions = new Map<number, Callable | Promise<Callable>>();
  #tasks: unknown[] = [];
  #next = 0;
  #outbox: unknown[] = [];
  /** Paused until the initializer has run: tasks that arrive meanwhile wait in the queue. */
  #isRunning = true;
  #isExiting = false;

  constructor(channel: ParentChannel) {
    this.#channel = channel;
  }

  receive(message: ToWorker): void {
    if (message.type === 'exit') {
      this.#isExiting = true;
      if (!this.#isRunning) this.#exit();
      return;
    }
    if (message.type === 'adopted') {
      getLogger().level = message.logLevel;
      return;
    }
    for (const [id, descriptor] of message.functions) this.#functions.set(id, this.#load(id, descriptor));
    for (const field of message.tasks) this.#tasks.push(field);
    if (!this.#isRunning) void this.#drain();
  }

  /** Starts running tasks (after the initializer). */
  start(): void {
    this.#isRunning = false;
    if (this.#isExiting && this.#tasks.length === 0) this.#exit();
    else void this.#drain();
  }

  #load(id: number, descriptor: TaskDescriptor): Promise<Callable> {
    const loading = resolveTask(descriptor) as Promise<AnyFunction> as Promise<Callable>;
    loading.then(
      (fn) => this.#functions.set(id, fn),
      () => {}, // reported per task when the task awaits it
    );
    return loading;
  }

  async #drain(): Promise<void> {
    this.#isRunning = true;
    let lastFlush = performance.now();
    while (this.#next < this.#tasks.length) {
      const at = this.#next;
      this.#next += TASK_FIELDS;
      await this.#runTask(at);
      if (performance.now() - lastFlush >= FLUSH_INTERVAL_MS) {
        this.#flush();
        lastFlush = performance.now();
      }
    }
    this.#tasks = [];
    this.#next = 0;
    this.#flush();
    this.#isRunning = false;
    if (this.#isExiting) this.#exit();
  }

  /** Runs the task whose fields start at `at`, and puts its outcome in the outbox. */
  async #runTask(at: number): Promise<void> {
    const tasks = this.#tasks;
    const taskId = tasks[at] as number;
    const started = performance.now();
    try {
      let fn = this.#functions.get(tasks[at + 1] as number)!;
      if (isThenable(fn)) fn = await fn;
      const payload = decodeValue(tasks[at + 3], tasks[at + 4] as boolean);
      let result = execute(fn, tasks[at + 2] as TaskMode, payload);
      if (isThenable(result)) result = await result;
      const encoded = encodeValue(result, 'result', currentDestination());
      this.#outbox.push(taskId, 1, encoded.value, encoded.hasHandles, performance.now() - started);
    } catch (error) {
      this.#outbox.push(taskId, 0, errorToRecord(error), false, performance.now() - started);
    }
  }

  #flush(): void {
    if (this.#outbox.length === 0) return;
    const message: FromWorker = { type: 'results', results: this.#outbox };
    this.#outbox = [];
    this.#channel.send(message);
  }

  #exit(): void {
    this.#flush();
    // Exit now, like Python's worker returning: timers a task left behind must not keep it alive.
    setImmediate(() => process.exit(0));
  }
}

export async function runPoolWorker(channel: ParentChannel, init: PoolWorkerInit): Promise<void> {
  const worker = new PoolWorker(channel);
  channel.onClose(() => process.exit(0)); // the pool's process is gone
  channel.onMessage((message) => worker.receive(message as ToWorker));
  if (init.initializer) {
    try {
      const initializer = (await resolveTask(init.initializer)) as Callable;
      const args = init.initArgs ? (decodeValue(init.initArgs.value, init.initArgs.hasHandles) as unknown[]) : [];
      const result = initializer(...args);
      if (isThenable(result)) await result;
    } catch (error) {
      channel.send({ type: 'init-failed', error: errorToRecord(error) } satisfies FromWorker);
      setImmediate(() => process.exit(1));
      return;
    }
  }
  channel.send({ type: 'ready' } satisfies FromWorker);
  worker.start();
}
