// The 'process' backend: each child is a new Node process (Python's "spawn"), running
// process-entry.js, talking to its parent over a socket pair on fd 3 (framed-socket.ts).
// On Linux the child is started under `setpriv --pdeathsig KILL`, so the kernel kills it when
// its parent dies, even by SIGKILL and even while it is busy in synchronous code.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type Backend, CHILD_BOOTED, type ChildEvents, type ResourceLimits } from './backend.js';
import { inheritedExecArgv } from '../base/exec-argv.js';
import { rootPid } from '../memory/tracker.js';
import { FramedSocket } from './framed-socket.js';
import { type AdoptableChild, startWithSpares } from './spares.js';

const entryExtension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const processEntry = fileURLToPath(new URL(`../child/process-entry${entryExtension}`, import.meta.url));

/** What every process of the tree knows: the root's pid (the resource tracker watches it). */
function treeEnvironment(): NodeJS.ProcessEnv {
  return { MULTIPROC_ROOT_PID: rootPid() };
}

function heapOptions(limits: ResourceLimits | undefined): string[] {
  const options: string[] = [];
  if (limits?.maxOldGenerationSizeMb) options.push(`--max-old-space-size=${limits.maxOldGenerationSizeMb}`);
  if (limits?.maxYoungGenerationSizeMb) options.push(`--max-semi-space-size=${Math.max(1, Math.floor(limits.maxYoungGenerationSizeMb / 3))}`);
  return options;
}

let setprivPath: string | null | undefined;

/**
 * util-linux's setpriv, which sets PR_SET_PDEATHSIG and then execs Node. Without it (or with
 * MULTIPROC_PARENT_WATCH=thread), a watcher thread in the child does the same job.
 */
function findSetpriv(): string | null {
  if (setprivPath === undefined) {
    const isWanted = process.platform === 'linux' && process.env.MULTIPROC_PARENT_WATCH !== 'thread';
    setprivPath = isWanted ? (['/usr/bin/setpriv', '/bin/setpriv'].find(existsSync) ?? null) : null;
  }
  return setprivPath;
}

/** Python's exit codes: the child's own code, or -N when signal N killed it. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (signal) return -(constants.signals[signal] ?? 1);
  return code ?? 1;
}

function launch(limits: ResourceLimits | undefined): ChildProcess {
  const nodeArgs = [...inheritedExecArgv(), ...heapOptions(limits), processEntry];
  const setpriv = findSetpriv();
  const [command, args] = setpriv
    ? [setpriv, ['--pdeathsig', 'KILL', '--', process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  return spawn(command, args, {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, ...treeEnvironment(), MULTIPROC_PARENT_PID: String(process.pid), MULTIPROC_DEATH_SIGNAL: setpriv ? '1' : '0' },
    windowsHide: true,
  });
}

/** What a child process receives first: its init, and the parent's cwd and environment now
 * (a spare was booted earlier and may have older ones). */
export interface ProcessStart {
  readonly init: unknown;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

class ProcessChild implements AdoptableChild {
  readonly #child: ChildProcess;
  readonly #channel: FramedSocket;
  #events: ChildEvents | null = null;
  #hasExited = false;
  #isReady = false;

  /** Boots a child; it waits for adopt(). `onIdleExit` is called if it ends before that. */
  constructor(limits: ResourceLimits | undefined, onIdleExit: () => void = () => {}) {
    this.#child = launch(limits);
    const socket = this.#child.stdio[3] as Socket;
    this.#channel = new FramedSocket(socket, (message) => {
      if (!this.#isReady && message === CHILD_BOOTED) this.#isReady = true;
      else this.#events?.message(message);
    });
    socket.on('error', () => {}); // EPIPE when the child dies mid-write: its exit is reported below
    const reportExit = (exitCode: number, detail?: string) => {
      if (this.#hasExited) return;
      this.#hasExited = true;
      if (this.#events) this.#events.exit(exitCode, detail);
      else onIdleExit();
    };
    this.#child.on('error', (error) => reportExit(1, `could not start: ${error.message}`));
    // 'close' (not 'exit'): every message the child sent before exiting has been read by then.
    this.#child.on('close', (code, signal) => reportExit(exitCodeOf(code, signal)));
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
    this.#channel.send({ init, cwd: process.cwd(), env: { ...process.env, ...treeEnvironment() } } satisfies ProcessStart);
    return this;
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  send(message: unknown): void {
    if (this.#channel.socket.writable) this.#channel.send(message);
  }

  terminate(): void {
    this.#child.kill('SIGTERM');
  }

  kill(): void {
    this.#child.kill('SIGKILL');
  }

  ref(): void {
    this.#child.ref();
    this.#channel.socket.ref();
  }

  unref(): void {
    this.#child.unref();
    this.#channel.socket.unref();
  }
}

export const processBackend: Backend = {
  name: 'process',
  destination: 'process',
  start: startWithSpares((limits, onIdleExit) => new ProcessChild(limits, onIdleExit)),
};
