// Contexts (Python's start methods): the API bound to one backend. `getContext('thread').Pool`
// is a Pool whose workers are threads; the root's Pool and Process follow getStartMethod().
// The thread context is closest to Python's `multiprocessing.dummy` (the same API over threads);
// Python's 'spawn' and 'forkserver' name contexts of the 'process' backend.

import type { ContextName } from './backends/backend.js';
import {
  checkStartMethod,
  contextNameOf,
  getAllStartMethods,
  getStartMethod,
  type StartMethod,
  setStartMethod,
} from './backends/start-method.js';
import { cpuCount } from './cpu/cpu-count.js';
import { cpuInfo } from './cpu/cpu-info.js';
import * as errors from './base/errors.js';
import { getLogger, logToStderr } from './base/log.js';
import { AsyncResult } from './pool/async-result.js';
import type { PoolOptions } from './pool/options.js';
import { Pool } from './pool/pool.js';
import { currentProcess, parentProcess } from './base/identity.js';
import { isMain } from './process/is-main.js';
import { activeChildren, Process, type ProcessOptions } from './process/process.js';
import { type RedisContext, redisContext } from './redis-context.js';
import type { RedisOptions } from './remote/redis-options.js';
import { register, taskRef } from './tasks/task-ref.js';
import { Pipe } from './connection/pipe.js';
import { wait } from './process/wait.js';
import { JoinableQueue, Queue, SimpleQueue } from './queue/queue.js';
import { RawArray, SharedArray } from './shared/shared-array.js';
import { RawValue, Value } from './shared/value.js';
import { Barrier } from './sync/barrier.js';
import { Condition } from './sync/condition.js';
import { Event } from './sync/event.js';
import { Lock } from './sync/lock.js';
import { RLock } from './sync/rlock.js';
import { BoundedSemaphore, Semaphore } from './sync/semaphore.js';

function withContext(processesOrOptions: number | PoolOptions | null | undefined, context: ContextName): PoolOptions {
  const options = typeof processesOrOptions === 'number' ? { processes: processesOrOptions } : (processesOrOptions ?? {});
  return { ...options, context };
}

function boundPool(context: ContextName): typeof Pool {
  return class extends Pool {
    constructor(processesOrOptions?: number | PoolOptions | null) {
      super(withContext(processesOrOptions, context));
    }
  };
}

function boundProcess(context: ContextName): typeof Process {
  return class<A extends unknown[] = unknown[]> extends Process<A> {
    constructor(options: ProcessOptions<A> = {}) {
      super({ ...options, context });
    }
  };
}

/** Python's `multiprocessing.pool.ThreadPool`: a Pool whose workers are worker threads. */
export class ThreadPool extends Pool {
  constructor(processesOrOptions?: number | Omit<PoolOptions, 'context'> | null) {
    super(withContext(processesOrOptions, 'thread'));
  }
}

/** Python's `threading.Thread`: a Process whose child is a worker thread. */
export class Thread<A extends unknown[] = unknown[]> extends Process<A> {
  constructor(options: Omit<ProcessOptions<A>, 'context'> = {}) {
    super({ ...options, context: 'thread' });
  }
}

/** What every context shares with the root: the functions and classes that do not start children. */
const sharedApi = {
  ...errors,
  AsyncResult,
  ThreadPool,
  Thread,
  activeChildren,
  cpuCount,
  cpuInfo,
  currentProcess,
  parentProcess,
  isMain,
  register,
  taskRef,
  setStartMethod,
  getAllStartMethods,
  getContext,
  // Python's context objects carry these too; they work the same in every context.
  Lock,
  RLock,
  Semaphore,
  BoundedSemaphore,
  Condition,
  Event,
  Barrier,
  Value,
  RawValue,
  SharedArray,
  RawArray,
  Pipe,
  Queue,
  JoinableQueue,
  SimpleQueue,
  wait,
  getLogger,
  logToStderr,
};

/** The API bound to one start method (Python's context objects). */
export interface Context extends Readonly<typeof sharedApi> {
  /** The start method as it was asked for: 'process', 'thread', 'spawn' or 'forkserver'. */
  readonly method: StartMethod;
  /** A Pool whose workers use this context. */
  readonly Pool: typeof Pool;
  /** A Process whose child uses this context. */
  readonly Process: typeof Process;
  /** This context's method, as it was asked for (Python's `get_context('spawn').get_start_method()`). */
  getStartMethod(): StartMethod;
}

const contexts = new Map<StartMethod, Context>();

/**
 * The API bound to one start method (Python's `get_context`); the default method when omitted
 * (which, as in Python, fixes the default: see getStartMethod). `'spawn'` and `'forkserver'`
 * give contexts of the 'process' backend that report their own name; `'fork'` is refused.
 *
 * @example
 * const ctx = getContext('thread');
 * await using pool = new ctx.Pool(4);
 *
 * `getContext('redis', { url })` gives the redis context (SPEC §12): its Pool and
 * ProcessPoolExecutor run tasks on `multiproc worker` processes; the rest is local-only.
 */
export function getContext(method: 'redis', options: RedisOptions): RedisContext;
export function getContext(method?: StartMethod | null): Context;
export function getContext(method?: StartMethod | 'redis' | null, options?: RedisOptions): Context | RedisContext {
  if (method === 'redis') return redisContext(options as RedisOptions);
  const name = method == null ? getStartMethod() : checkStartMethod('getContext: "method"', method);
  let context = contexts.get(name);
  if (!context) {
    const PoolClass = boundPool(contextNameOf(name));
    const ProcessClass = boundProcess(contextNameOf(name));
    Object.defineProperty(PoolClass, 'name', { value: 'Pool' });
    Object.defineProperty(ProcessClass, 'name', { value: 'Process' });
    context = Object.freeze({
      ...sharedApi,
      method: name,
      Pool: PoolClass,
      Process: ProcessClass,
      getStartMethod: () => name,
    });
    contexts.set(name, context);
  }
  return context;
}
