// Process: Python's multiprocessing.Process (and, in the thread context, threading.Thread).
// The child runs run(), which calls the target (or a registered subclass's own run(), see
// subclass.ts); the parent follows it through pid, isAlive, join and exitCode. In the child, the
// same object is rebuilt (processInChild) as the process running there.

import { getLogger } from '../base/log.js';
import type { ChildHandle, ContextName } from '../backends/backend.js';
import { backendFor } from '../backends/start-method.js';
import { checkAuthkey } from '../base/authkey.js';
import type { ProcessInit } from './process-init.js';
import { isReportMessage } from '../process/parent-report.js';
import { InvalidStateError } from '../base/errors.js';
import { captureInFlight } from '../connection/holdings.js';
import { type Destination, type Encoded, encodeValue } from '../tasks/codec.js';
import { resolveTask } from '../tasks/resolve-task.js';
import { type AnyClass, type AnyFunction, describeTask, isTaskRef, type Task, type TaskDescriptor } from '../tasks/task-ref.js';
import { checkTimeout, invalidType } from '../base/validate.js';
import { assertMayStartChildren, currentProcess } from '../base/identity.js';
import { checkName, checkProcessOptions, InChild, type ProcessInChildSettings, type ProcessOptions } from './process-settings.js';
import { type SubclassToSend, subclassToSend } from './subclass.js';
import { raceAbort, type WaitOptions, signalOption, throwIfAborted } from '../base/abort.js';
import { Deadline } from '../base/deadline.js';
import { keepAlive } from '../base/keep-alive.js';

export type { ProcessOptions } from './process-settings.js';

/** 'current': this object was rebuilt in the child it describes, and is the process running here. */
type ProcessState = 'initial' | 'started' | 'closed' | 'current';

/** Started, not yet joined children of this process (Python's `_children`). */
const children = new Set<Process>();
let isExitHookInstalled = false;

/** Python terminates daemonic children when the parent exits. */
function installExitHook(): void {
  if (isExitHookInstalled) return;
  isExitHookInstalled = true;
  process.on('exit', () => {
    for (const child of children) if (child.daemon && child.isAlive()) child.terminate();
  });
}

/** Children of this process that are still running (joins the ones that ended, as Python does). */
export function activeChildren(): Process[] {
  for (const child of children) if (!child.isAlive() && child.exitCode !== null) children.delete(child);
  return [...children];
}

/**
 * A child process (or worker thread) that runs run(): the target with its args, or the run() of
 * a subclass registered in its module (Python's `class Worker(Process): def run(self)`).
 *
 * @example
 * const p = new Process({ target: greet, args: ['bob'] });
 * p.start();
 * await p.join();
 * console.log(p.exitCode); // 0
 *
 * @example
 * export class Worker extends Process {
 *   constructor(readonly results: Queue<number>) { super(); }
 *   override async run() { await this.results.put(process.pid); }
 * }
 * register(import.meta.url, { Worker });
 */
export class Process<A extends unknown[] = unknown[]> {
  readonly #target: Task | undefined;
  readonly #targetDescriptor: TaskDescriptor | null;
  readonly #args: unknown[];
  readonly #context: ContextName;
  #name: string;
  #identity: number[];
  #daemon: boolean;
  #authkey: Uint8Array;
  #state: ProcessState;
  #handle: ChildHandle | null = null;
  #pid: number | undefined;
  #exitCode: number | null = null;
  readonly #exited: Promise<void>;
  #markExited!: () => void;
  #abandonInFlight: () => void = () => {};
  #onReport: ((value: unknown) => void) | null = null;

  constructor(options: ProcessOptions<A> = {}) {
    const isInChild = options instanceof InChild;
    const settings = isInChild ? options.settings : checkProcessOptions(options as ProcessOptions, new.target);
    this.#state = isInChild ? 'current' : 'initial';
    this.#context = settings.context;
    this.#target = settings.target;
    this.#targetDescriptor = settings.targetDescriptor;
    this.#args = settings.args;
    this.#identity = settings.identity;
    this.#name = settings.name;
    this.#daemon = settings.daemon;
    this.#authkey = settings.authkey;
    this.#exited = new Promise((resolve) => {
      this.#markExited = resolve;
    });
  }

  /** The child's pid; undefined before start(). A thread's is its process's pid. In the child, its own. */
  get pid(): number | undefined {
    return this.#state === 'current' ? process.pid : this.#pid;
  }

  get name(): string {
    return this.#name;
  }

  set name(name: string) {
    this.#name = checkName(name);
  }

  get daemon(): boolean {
    return this.#daemon;
  }

  /** May be set only before start(), as in Python. */
  set daemon(daemon: boolean) {
    if (this.#state !== 'initial') throw new InvalidStateError('Process.daemon: it can only be set before start().');
    if (typeof daemon !== 'boolean') throw invalidType('Process.daemon', 'a boolean', daemon);
    this.#daemon = daemon;
  }

  /**
   * The key the child shares with its tree: its `currentProcess().authkey`, and the default of
   * the managers it starts. Always bytes (a string given is its UTF-8 bytes); a copy.
   * May be set only before start(). @default currentProcess().authkey
   */
  get authkey(): Uint8Array {
    return Uint8Array.from(this.#authkey);
  }

  set authkey(authkey: string | Uint8Array) {
    if (this.#state !== 'initial') {
      throw new InvalidStateError('Process.authkey: it can only be set before start(); the child received its key when it started.');
    }
    this.#authkey = checkAuthkey('Process.authkey', authkey);
  }

  /** null while running (or before start), 0 on success, 1 on an uncaught error, -N when killed by signal N. */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /** 'process' or 'thread'. */
  get context(): ContextName {
    return this.#context;
  }

  /**
   * What the child runs: calls the target with the args (Python's `run`). A subclass registered
   * in its module may override it; its run() then runs in the child, on a copy of the object
   * (its own enumerable fields; the constructor does not run again there). May be async.
   */
  run(): void | Promise<void> {
    const target = this.#target;
    if (target === undefined) return;
    const args = this.#args;
    if (isTaskRef(target)) return resolveTask(describeTask('Process.run: "target"', target)).then((fn) => settled(fn(...args)));
    return settled((target as AnyFunction)(...args));
  }

  /** Starts the child. A Process can be started once. */
  start(): void {
    this.#assertNotClosed('start');
    if (this.#state === 'current') {
      throw new InvalidStateError(
        'Process.start: this object is the process running here (rebuilt in its child); only the process that created it can start it. Create a new Process to start a child.',
      );
    }
    if (this.#state !== 'initial') throw new InvalidStateError('Process.start: a process can only be started once.');
    assertMayStartChildren('Process.start');
    const backend = backendFor(this.#context);
    const subclass = subclassToSend('Process.start', this, Process.prototype.run);
    const { args, fields } = this.#encodeForChild(subclass, backend.destination);
    const parent = currentProcess();
    const init: ProcessInit = {
      role: 'process',
      identity: { name: this.#name, daemon: this.#daemon, authkey: this.#authkey, parent, identity: this.#identity },
      target: this.#targetDescriptor,
      args,
      subclass: subclass?.record ?? null,
      fields,
    };
    this.#handle = backend.start({ init, useSpares: true }, {
      message: (message) => {
        if (isReportMessage(message)) this.#onReport?.(message.value);
      },
      exit: (exitCode) => this.#onExit(exitCode),
    });
    this.#state = 'started';
    this.#pid = this.#handle.pid;
    getLogger().debug(`Process ${this.#name} started (pid ${this.#pid}, ${backend.name} context)`);
    if (this.#daemon) this.#handle.unref(); // a daemon does not keep its parent alive
    children.add(this);
    installExitHook();
  }

  /** @internal What the child's target sends with reportToParent() (a manager: where it listens). */
  onReport(handler: (value: unknown) => void): void {
    this.#onReport = handler;
  }

  /** @internal Resolves when the child has ended (wait() watches it). */
  get exited(): Promise<void> {
    return this.#exited;
  }

  /**
   * Waits until the child ends, or until `timeout` ms have passed (then check exitCode). Holds
   * the event loop open while it waits, daemon or not: a program whose last act is `await
   * p.join()` does not end before the child. Aborting `signal` rejects with its reason.
   */
  async join(timeout?: number | null, options?: WaitOptions): Promise<void> {
    this.#assertNotClosed('join');
    const timeoutMs = checkTimeout('Process.join: "timeout"', timeout);
    const signal = signalOption('Process.join', options);
    if (this.#state !== 'started') throw new InvalidStateError('Process.join: can only join a started process.');
    throwIfAborted(signal);
    if (this.#exitCode === null) await this.#waitForExit(Deadline.after(timeoutMs), signal);
    if (this.#exitCode !== null) this.#reap();
  }

  /** The child's exit, the deadline or the abort, whichever comes first; the loop is held meanwhile. */
  async #waitForExit(deadline: Deadline, signal: AbortSignal | undefined): Promise<void> {
    try {
      // A daemon's handle is unref'd, so nothing else may keep the loop open (issue 11, bug 1).
      await keepAlive(raceAbort(Promise.race([this.#exited, deadline.expired()]), signal));
    } finally {
      deadline.stop();
    }
  }

  /** True from start() until the child ends (and, in the child, for the process running there). */
  isAlive(): boolean {
    this.#assertNotClosed('isAlive');
    return this.#state === 'current' || (this.#state === 'started' && this.#exitCode === null);
  }

  /** SIGTERM (a thread is stopped, exitCode -15). */
  terminate(): void {
    this.#assertMayStop('terminate');
    if (this.isAlive()) this.#handle!.terminate();
  }

  /** SIGKILL (a thread is stopped, exitCode -9). */
  kill(): void {
    this.#assertMayStop('kill');
    if (this.isAlive()) this.#handle!.kill();
  }

  /** Releases the Process object; it must have ended. Further use throws InvalidStateError. */
  close(): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'started' && this.#exitCode === null) {
      throw new InvalidStateError('Process.close: the process is still running; join() or terminate() it first.');
    }
    this.#state = 'closed';
    this.#handle = null;
    children.delete(this);
  }

  toString(): string {
    const status = this.#state === 'initial' ? 'initial' : this.#exitCode === null ? 'started' : `exitcode=${this.#exitCode}`;
    return `<${classNameOf(this)} name='${this.#name}' ${status}${this.#daemon ? ' daemon' : ''}>`;
  }

  #onExit(exitCode: number): void {
    this.#exitCode = exitCode;
    getLogger().debug(`Process ${this.#name} (pid ${this.#pid}) exited with code ${exitCode}`);
    this.#abandonInFlight(); // copies the child never received no longer count as held
    this.#markExited();
  }

  /**
   * The args and a subclass's fields, encoded for the child. Pipe ends and queues among them
   * count as held by the child from now on, until it exits; if one cannot be sent, none does.
   */
  #encodeForChild(subclass: SubclassToSend | null, destination: Destination): { args: Encoded; fields: Encoded | null } {
    const { result, abandon } = captureInFlight(() => {
      try {
        const args = encodeValue(this.#args, 'Process: args', destination);
        return { args, fields: subclass === null ? null : encodeValue(subclass.fields, subclass.record.name, destination) };
      } catch (error) {
        return { error };
      }
    });
    if ('error' in result) {
      abandon();
      throw result.error;
    }
    this.#abandonInFlight = abandon;
    return result;
  }

  #reap(): void {
    children.delete(this);
  }

  #assertNotClosed(method: string): void {
    if (this.#state === 'closed') throw new InvalidStateError(`Process.${method}: the process object is closed.`);
  }

  #assertMayStop(method: string): void {
    this.#assertNotClosed(method);
    if (this.#state === 'current') {
      throw new InvalidStateError(`Process.${method}: this object is the process running here; end it by returning from run() (or process.exit()).`);
    }
  }
}

/**
 * @internal The child's side: rebuilds the Process object its parent started, as an instance of
 * `Class` (Process or a registered subclass) whose own constructor does not run, as Python
 * unpickles it: only Process's private state is set, from what the parent sent.
 */
export function processInChild(Class: AnyClass, settings: ProcessInChildSettings): Process {
  const { target, identity, ...rest } = settings;
  const inChild = new InChild({ ...rest, target, targetDescriptor: null, identity: [...identity] });
  return Reflect.construct(Process, [inChild], Class) as Process;
}

function classNameOf(instance: object): string {
  return (Object.getPrototypeOf(instance) as { constructor?: { name?: string } }).constructor?.name || 'Process';
}

/** run()'s outcome, without the target's return value: Python's run() returns None. */
function settled(result: unknown): void | Promise<void> {
  if (result instanceof Promise) return result.then(() => undefined);
}
