// Entry of a child process started by the 'process' backend. Its parent talks to it over a
// socket pair on fd 3; the first frame is its ChildInit. It makes sure it dies with its parent.

import { Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { bootstrapChild, type ChildInit } from './child-bootstrap.js';
import { CHILD_BOOTED, type ParentChannel } from '../backends/backend.js';
import type { ProcessStart } from '../backends/process.js';
import { FramedSocket } from '../backends/framed-socket.js';

const parentPid = Number(process.env.MULTIPROC_PARENT_PID);
const hasDeathSignal = process.env.MULTIPROC_DEATH_SIGNAL === '1';
delete process.env.MULTIPROC_PARENT_PID; // not inherited by this child's own children
delete process.env.MULTIPROC_DEATH_SIGNAL;

// The parent may have died before the kernel's death signal was armed.
if (parentPid && process.ppid !== parentPid) process.exit(1);
if (!hasDeathSignal && parentPid) watchParent(parentPid);

/**
 * Without setpriv, a thread watches for the parent's death: the main thread may be busy in a
 * long synchronous task and could not notice, but a signal ends the whole process.
 */
function watchParent(pid: number): void {
  const watcher = new Worker(
    `const { workerData } = require('node:worker_threads');
     setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, 'SIGKILL'); }, 200);`,
    { eval: true, workerData: pid },
  );
  watcher.unref();
}

/** A spare may have been booted before the parent changed directory or environment. */
function adoptEnvironment(cwd: string, env: NodeJS.ProcessEnv): void {
  if (process.cwd() !== cwd) process.chdir(cwd);
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  for (const [key, value] of Object.entries(env)) if (value !== undefined) process.env[key] = value;
}

class SocketParentChannel implements ParentChannel {
  readonly #framed: FramedSocket;
  #handler: ((message: unknown) => void) | null = null;
  readonly #early: unknown[] = [];

  constructor(socket: Socket, onStart: (start: ProcessStart) => void) {
    let hasStarted = false;
    this.#framed = new FramedSocket(socket, (message) => {
      if (!hasStarted) {
        hasStarted = true;
        onStart(message as ProcessStart);
      }
      else if (this.#handler) this.#handler(message);
      else this.#early.push(message);
    });
    socket.on('error', () => {}); // the parent vanished mid-write; 'close' follows
  }

  send(message: unknown): void {
    if (this.#framed.socket.writable) this.#framed.send(message);
  }

  onMessage(handler: (message: unknown) => void): void {
    this.#handler = handler;
    for (const message of this.#early.splice(0)) handler(message);
  }

  onClose(handler: () => void): void {
    this.#framed.socket.on('close', handler);
  }

  unref(): void {
    this.#framed.socket.unref();
  }

  ref(): void {
    this.#framed.socket.ref();
  }

  close(): void {
    this.#framed.socket.removeAllListeners('close');
    this.#framed.socket.end();
    this.#framed.socket.unref();
  }
}

const socket = new Socket({ fd: 3, readable: true, writable: true });
const channel = new SocketParentChannel(socket, ({ init, cwd, env }) => {
  adoptEnvironment(cwd, env);
  bootstrapChild(channel, init as ChildInit).catch((error: unknown) => {
    process.stderr.write(`multiproc child failed to start: ${(error as Error)?.stack ?? error}\n`);
    process.exit(1);
  });
});
channel.send(CHILD_BOOTED);
