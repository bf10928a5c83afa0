// Loads multiproc for the harness and for bench/tasks.ts, as the same module instance in the
// parent and in every child (register() and a child's lookup share one registry):
// - under tsx (`node --import tsx bench/run.ts`): the sources, src/index.ts;
// - compiled (`npm run bench` runs tsc's output in .bench-tmp/): the build, dist/index.js, since
//   plain JavaScript cannot import src/*.ts and tsc cannot compile src/ into .bench-tmp/.
// The specifier is computed, so tsc does not pull src/ into the bench build; the API is typed
// below, and bench/api-check.ts (type-checked by the root tsconfig only) keeps it in line with src.
import type { Readable, Writable } from 'node:stream';
import { compiled } from './measure.ts';

export type ContextName = 'process' | 'thread';

/** Any task function: the harness only passes bench/tasks.ts's registered functions. */
// biome-ignore lint/suspicious/noExplicitAny: matches any function's parameters, like the library's AnyFunction
export type TaskFunction = (...args: any[]) => unknown;

/** The part of a multiproc Pool the harness uses. */
export interface MultiprocPool {
  /** The number of workers (the redis context: the parallelism its automatic chunks plan for). */
  readonly processes: number;
  map<A, R>(fn: (item: A) => R, items: A[], options?: { chunkSize?: number }): Promise<Awaited<R>[]>;
  close(): void;
  join(): Promise<void>;
  terminate(): Promise<void>;
}

/** The part of a multiproc Process the harness uses. */
export interface MultiprocProcess {
  start(): void;
  join(): Promise<void>;
  /** null while running, 0 on success. */
  readonly exitCode: number | null;
  terminate(): void;
}

/** A shared integer and its lock (W8). */
export interface MultiprocValue {
  value: number;
  getLock(): { acquire(): Promise<boolean>; release(): void };
}

/** A cross-process event (W9). */
export interface MultiprocEvent {
  set(): void;
  clear(): void;
  wait(timeout?: number): Promise<boolean>;
}

/** One end of a Pipe (W5, W6). */
export interface MultiprocConnection {
  send(obj: unknown): void;
  recv<T = unknown>(): Promise<T>;
  close(): void;
}

/** A cross-process FIFO queue (W4). */
export interface MultiprocQueue<T> {
  put(obj: T): Promise<void>;
  get(): Promise<T>;
  close(): void;
}

/** A future of an executor (W10). */
export interface MultiprocFuture<R> {
  result(): Promise<R>;
}

/** A concurrent.futures executor (W10). */
export interface MultiprocExecutor {
  submit<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): MultiprocFuture<Awaited<R>>;
  shutdown(): Promise<void>;
}

/** A manager dict proxy (W11). */
export interface MultiprocDictProxy {
  set(key: string, value: unknown): Promise<void>;
  get(key: string): Promise<unknown>;
}

/** A started SyncManager (W11). */
export interface MultiprocManager {
  dict(): Promise<MultiprocDictProxy>;
  shutdown(): Promise<void>;
}

/** A Pool whose tasks run on `multiproc worker` processes through Redis (W13). */
export interface MultiprocRedisPoolOptions {
  context: 'redis';
  url: string;
  /** Task modules are named relative to it; each worker's `--root` is its counterpart. */
  root?: string;
}

/** The part of multiproc's API the harness uses: `import { Pool, getContext, register, Value, Event, Pipe, Queue } from 'multiproc'`. */
export interface MultiprocApi {
  Pool: new (options: { processes: number; context: ContextName } | MultiprocRedisPoolOptions) => MultiprocPool;
  getContext(method: ContextName): {
    Process: new (options: { target: TaskFunction; args?: unknown[] }) => MultiprocProcess;
  };
  register(moduleUrl: string, functions: Record<string, TaskFunction>): void;
  Value: new (typecode: 'i', init: number) => MultiprocValue;
  Event: new () => MultiprocEvent;
  Pipe(duplex?: boolean): [MultiprocBytesConnection, MultiprocBytesConnection];
  Queue: new <T>(maxsize?: number) => MultiprocQueue<T>;
  ProcessPoolExecutor: new (options: { maxWorkers: number }) => MultiprocExecutor;
  ThreadPoolExecutor: new (options: { maxWorkers: number }) => MultiprocExecutor;
  Manager(): Promise<MultiprocManager>;
}

/** A Connection with byte messages (W12: a `Pipe()` end or a `socketPair()` end). */
export interface MultiprocBytesConnection extends MultiprocConnection {
  sendBytes(buf: Uint8Array): void;
  recvBytes(): Promise<Uint8Array>;
}

/** A socketPair() end: a Connection and its descriptor, for a plain child's stdio. */
export interface MultiprocSocketPairEnd extends MultiprocBytesConnection {
  readonly fd: number;
}

/** A POSIX message queue (W12); what send and close return is not used. */
export interface MultiprocPosixMessageQueue {
  send(data: Uint8Array): unknown;
  receive(): Promise<{ data: Uint8Array }>;
  close(): unknown;
  unlink(): unknown;
}

/** A System V message queue (W12). */
export interface MultiprocSysVMessageQueue {
  send(type: number, data: Uint8Array): unknown;
  receive(options?: { type?: number }): Promise<{ data: Uint8Array }>;
  remove(): unknown;
}

/** The part of `multiproc/ipc` W12 uses. */
export interface MultiprocIpcApi {
  pipe(): [Readable, Writable];
  mkfifo(path: string, options?: { mode?: number }): Promise<void>;
  openFifo(path: string, mode: 'r'): Promise<Readable>;
  openFifo(path: string, mode: 'w'): Promise<Writable>;
  PosixMessageQueue: new (name: string, options?: { create?: boolean; mode?: number; maxMessages?: number; messageSize?: number }) => MultiprocPosixMessageQueue;
  /** Absent from a build without System V IPC: W12 then shows its row as not available. */
  SysVMessageQueue?: new (key: number, options?: { create?: boolean; mode?: number }) => MultiprocSysVMessageQueue;
  socketPair(): [MultiprocSocketPairEnd, MultiprocSocketPairEnd];
  connectionFromFd(fd: number): MultiprocBytesConnection;
}

/** Where the library is loaded from, for the report. */
export const librarySource = compiled ? 'dist/index.js (compiled harness: run `npm run build` first)' : 'src/index.ts (under tsx)';
const libraryUrl = new URL(compiled ? '../dist/index.js' : '../src/index.ts', import.meta.url).href;
const ipcUrl = new URL(compiled ? '../dist/ipc/index.js' : '../src/ipc/index.ts', import.meta.url).href;

let loading: Promise<MultiprocApi> | undefined;

/** The library, imported once per process; rejects with the import's error when it cannot load. */
export function loadMultiproc(): Promise<MultiprocApi> {
  loading ??= import(libraryUrl) as Promise<MultiprocApi>;
  return loading;
}

let loadingIpc: Promise<MultiprocIpcApi> | undefined;

/** `multiproc/ipc` (W12), imported once per process; rejects when it cannot load. */
export function loadIpc(): Promise<MultiprocIpcApi> {
  loadingIpc ??= import(ipcUrl) as Promise<MultiprocIpcApi>;
  return loadingIpc;
}
