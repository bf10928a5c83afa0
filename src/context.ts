// Contexts (Python's start methods): the API bound to one backend. `getContext('thread').Pool`
// is a Pool whose workers are threads; the root's Pool and Process follow getStartMethod().

import type { ContextName } from './backends/backend.js';
import { checkContextName, getStartMethod } from './backends/start-method.js';
import { Pool, type PoolOptions } from './pool/pool.js';
import { Process, type ProcessOptions } from './process/process.js';

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
    constructor(options: ProcessOptions<A>) {
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
  constructor(options: Omit<ProcessOptions<A>, 'context'>) {
    super({ ...options, context: 'thread' });
  }
}

/** The API bound to one start method. */
export interface Context {
  /** 'process' or 'thread'. */
  readonly method: ContextName;
  readonly Pool: typeof Pool;
  readonly Process: typeof Process;
  readonly ThreadPool: typeof ThreadPool;
  readonly Thread: typeof Thread;
  getStartMethod(): ContextName;
}

const contexts = new Map<ContextName, Context>();

/**
 * The API bound to one start method (Python's `get_context`); the default method when omitted.
 *
 * @example
 * const ctx = getContext('thread');
 * await using pool = new ctx.Pool(4);
 */
export function getContext(method?: ContextName | null): Context {
  const name = method == null ? getStartMethod() : checkContextName('getContext: "method"', method);
  let context = contexts.get(name);
  if (!context) {
    const PoolClass = boundPool(name);
    const ProcessClass = boundProcess(name);
    Object.defineProperty(PoolClass, 'name', { value: 'Pool' });
    Object.defineProperty(ProcessClass, 'name', { value: 'Process' });
    context = Object.freeze({
      method: name,
      Pool: PoolClass,
      Process: ProcessClass,
      ThreadPool,
      Thread,
      getStartMethod: () => name,
    });
    contexts.set(name, context);
  }
  return context;
}
