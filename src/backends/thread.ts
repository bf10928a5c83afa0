// The 'thread' backend: each child is a worker_threads Worker in this process, running
// thread-entry.js. A thread has no pid of its own and no signals: terminate()/kill() stop it
// and its exit code reads -15 / -9, so code written for processes reads the same (SPEC §3).

import { fileURLToPath } from 'node:url';
import { SHARE_ENV, Worker } from 'node:worker_threads';
import { type Backend, CHILD_BOOTED, type ChildEvents, type ResourceLimits } from './backend.js';
import { workerLoaderPlan } from './loaders.js';
import { inheritedExecArgv } from '../base/exec-argv.js';
import { type AdoptableChild, startWithSpares } from './spares.js';

const entryExtension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const threadEntry = fileURLToPath(new URL(`../child/thread-entry${entryExtension}`, import.meta.url));

/**
 * The parent's Node options without those that would stop a worker from starting (`-e`,
 * `--input-type`...). Passed only when something was dropped: Worker validates an explicit list
 * more strictly than the options it inherits by default.
 */
function workerExecArgv(): string[] | undefined {
  const kept = inheritedExecArgv();
  return kept.length === process.execArgv.length ? undefined : kept;
}

const SIGTERM_EXIT = -15;
const SIGKILL_EXIT = -9;

class ThreadChild implements AdoptableChild {
  readonly #worker: Worker;
  #events: ChildEvents | null = null;
  #stoppedWith: number | null = null;
  #hasExited = false;
  #isReady = false;

  /** Boots a worker thread; it waits for adopt(). `onIdleExit` is called if it ends before that. */
  constructor(limits: ResourceLimits | undefined, onIdleExit: () => void = () => {}) {
    this.#worker = new Worker(threadEntry, {
      workerData: { loaders: workerLoaderPlan() },
      execArgv: workerExecArgv(),
      resourceLimits: limits,
      env: SHARE_ENV, // threads share their process's environment, as Python's threads do
    });
    let detail: string | undefined;
    this.#worker.on('message', (message) => {
      if (!this.#isReady && message === CHILD_BOOTED) this.#isReady = true;
      else this.#events?.message(message);
    });
    // An uncaught error ends the thread; keep it for the exit report instead of crashing the parent.
    this.#worker.on('error', (error: Error & { code?: string }) => {
      detail = error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'it ran out of memory' : `uncaught ${error.stack ?? error}`;
    });
    this.#worker.on('exit', (code) => {
      this.#hasExited = true;
      if (this.#events) this.#events.exit(this.#stoppedWith ?? code, detail);
      else onIdleExit();
    });
  }

  rebind(events: ChildEvents): void {
    this.#events = events;
  }

  get hasExited(): boolean {
    return this.#hasExited;
  }

  get isReady(): boolean {
    return this.#isReady;
  }

  adopt(init: unknown, events: ChildEvents): this {
    this.#events = events;
    this.ref();
    this.#worker.postMessage(init);
    return this;
  }

  get pid(): number {
    return process.pid;
  }

  send(message: unknown): void {
    this.#worker.postMessage(message);
  }

  terminate(): void {
    this.#stop(SIGTERM_EXIT);
  }

  kill(): void {
    this.#stop(SIGKILL_EXIT);
  }

  #stop(exitCode: number): void {
    this.#stoppedWith ??= exitCode;
    void this.#worker.terminate();
  }

  ref(): void {
    this.#worker.ref();
  }

  unref(): void {
    this.#worker.unref();
  }
}

export const threadBackend: Backend = {
  name: 'thread',
  destination: 'thread',
  start: startWithSpares((limits, onIdleExit) => new ThreadChild(limits, onIdleExit)),
};
