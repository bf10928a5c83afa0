// Process: Python's multiprocessing.Process (and, in the thread context, threading.Thread).
// A target runs in a new child; the parent follows it through pid, isAlive, join and exitCode.

import type { ChildHandle, ContextName } from '../backends/backend.js';
import { backendFor, checkContextName, getStartMethod } from '../backends/start-method.js';
import type { ProcessInit } from './process-init.js';
import { isReportMessage } from './parent-report.js';
import { InvalidStateError } from '../base/errors.js';
import { captureInFlight } from '../connection/holdings.js';
import { encodeValue } from '../tasks/codec.js';
import { type AnyFunction, describeTask, type Task, type TaskDescriptor } from '../tasks/task-ref.js';
import { checkOptionsObject, checkTimeout, invalidType } from '../base/validate.js';
import { assertMayStartChildren, currentProcess, nextChildIdentity } from '../base/identity.js';

export interface ProcessOptions<A extends unknown[] = unknown[]> {
  /** The function to run in the child: registered, a taskRef, or self-contained (inline). */
  target: Task<(...args: A) => unknown>;
  /** Arguments for `target`. @default [] */
  args?: A;
  /** @default "Process-N" ("Thread-N" in the thread context) */
  name?: string;
  /** A daemon child is terminated when its parent exits, and does not keep the parent alive. @default false */
  daemon?: boolean;
  /** @default getStartMethod() */
  context?: ContextName;
}

type ProcessState = 'initial' | 'started' | 'closed';

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
 * A target run in a child process (or worker thread).
 *
 * @example
 * const p = new Process({ target: greet, args: ['bob'] });
 * p.start();
 * await p.join();
 * console.log(p.exitCode); // 0
 */
export class Process<A extends unknown[] = unknown[]> {
  readonly #target: TaskDescriptor;
  readonly #args: unknown[];
  readonly #context: ContextName;
  #name: string;
  #identity: number[];
  #daemon: boolean;
  #state: ProcessState = 'initial';
  #handle: ChildHandle | null = null;
  #pid: number | undefined;
  #exitCode: number | null = null;
  readonly #exited: Promise<void>;
  #markExited!: () => void;
  #abandonInFlight: () => void = () => {};
  #onReport: ((value: unknown) => void) | null = null;

  constructor(options: ProcessOptions<A>) {
    checkOptionsObject('Process: "options"', options);
    if (options == null) throw invalidType('Process: "options"', 'an options object with a target', options);
    this.#context = checkContextName('Process: "context"', options.context ?? getStartMethod());
    this.#target = describeTask('Process: "target"', options.target as AnyFunction);
    if (options.args != null && !Array.isArray(options.args)) {
      throw invalidType('Process: "args"', 'an array of arguments', options.args);
    }
    this.#args = options.args ?? [];
    const assigned = nextChildIdentity(this.#context === 'thread' ? 'Thread' : 'Process');
    this.#identity = assigned.identity;
    this.#name = options.name == null ? assigned.name : checkName(options.name);
    this.#daemon = options.daemon ?? false;
    if (typeof this.#daemon !== 'boolean') throw invalidType('Process: "daemon"', 'a boolean', options.daemon);
    this.#exited = new Promise((resolve) => {
      this.#markExited = resolve;
    });
  }

  /** The child's pid; undefined before start(). A thread's is its process's pid. */
  get pid(): number | undefined {
    return this.#pid;
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

  /** null while running (or before start), 0 on success, 1 on an uncaught error, -N when killed by signal N. */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /** 'process' or 'thread'. */
  get context(): ContextName {
    return this.#context;
  }

  /** Starts the child. A Process can be started once. */
  start(): void {
    this.#assertNotClosed('start');
    if (this.#state !== 'initial') throw new InvalidStateError('Process.start: a process can only be started once.');
    assertMayStartChildren('Process.start');
    const backend = backendFor(this.#context);
    // Pipe ends and queues in args count as held by the child from now on, until it exits.
    const { result: args, abandon } = captureInFlight(() => encodeValue(this.#args, 'Process: args', backend.destination));
    this.#abandonInFlight = abandon;
    const parent = currentProcess();
    const init: ProcessInit = {
      role: 'process',
      identity: { name: this.#name, daemon: this.#daemon, authkey: parent.authkey, parent, identity: this.#identity },
      target: this.#target,
      args,
    };
    this.#handle = backend.start({ init, useSpares: true }, {
      message: (message) => {
        if (isReportMessage(message)) this.#onReport?.(message.value);
      },
      exit: (exitCode) => this.#onExit(exitCode),
    });
    this.#state = 'started';
    this.#pid = this.#handle.pid;
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

  /** Waits until the child ends, or until `timeout` ms have passed (then check exitCode). */
  async join(timeout?: number | null): Promise<void> {
    this.#assertNotClosed('join');
    const timeoutMs = checkTimeout('Process.join: "timeout"', timeout);
    if (this.#state !== 'started') throw new InvalidStateError('Process.join: can only join a started process.');
    if (this.#exitCode !== null) return this.#reap();
    if (timeoutMs === undefined) {
      await this.#exited;
      return this.#reap();
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    if (this.#exitCode !== null) this.#reap();
  }

  /** True from start() until the child ends. */
  isAlive(): boolean {
    this.#assertNotClosed('isAlive');
    return this.#state === 'started' && this.#exitCode === null;
  }

  /** SIGTERM (a thread is stopped, exitCode -15). */
  terminate(): void {
    this.#assertNotClosed('terminate');
    if (this.isAlive()) this.#handle!.terminate();
  }

  /** SIGKILL (a thread is stopped, exitCode -9). */
  kill(): void {
    this.#assertNotClosed('kill');
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
    return `<Process name='${this.#name}' ${status}${this.#daemon ? ' daemon' : ''}>`;
  }

  #onExit(exitCode: number): void {
    this.#exitCode = exitCode;
    this.#abandonInFlight(); // copies the child never received no longer count as held
    this.#markExited();
  }

  #reap(): void {
    children.delete(this);
  }

  #assertNotClosed(method: string): void {
    if (this.#state === 'closed') throw new InvalidStateError(`Process.${method}: the process object is closed.`);
  }
}

function checkName(name: unknown): string {
  if (typeof name !== 'string') throw invalidType('Process: "name"', 'a string', name);
  return name;
}
