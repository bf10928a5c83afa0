// The redis context (SPEC §12): `getContext('redis', { url })` carries a Pool and a
// ProcessPoolExecutor bound to one Redis, whose tasks run on `multiproc worker` processes of any
// machine. Processes, queues, locks and shared memory stay on one machine: those members exist
// so that a ported program fails at once, with an InvalidStateError saying what to use instead.

import { InvalidStateError } from './base/errors.js';
import { ProcessPoolExecutor, type RedisExecutorOptions } from './futures/executor.js';
import { Pool, type RedisPoolOptions } from './pool/pool.js';
import { checkRedisOptions, type RedisOptions } from './remote/redis-options.js';

/** Options a redis context's Pool takes beyond the context's own. */
export type RedisContextPoolOptions = Partial<Omit<RedisPoolOptions, 'context'>>;
/** Options a redis context's ProcessPoolExecutor takes beyond the context's own. */
export type RedisContextExecutorOptions = Partial<Omit<RedisExecutorOptions, 'context'>>;

/** A member of the local contexts that the redis context cannot offer: calling or constructing it throws. */
export interface LocalOnly {
  (...args: never[]): never;
  new (...args: never[]): never;
}

const LOCAL_ONLY_NAMES = [
  'Process', 'Thread', 'ThreadPool', 'ThreadPoolExecutor', 'Queue', 'JoinableQueue', 'SimpleQueue', 'Pipe',
  'Lock', 'RLock', 'Semaphore', 'BoundedSemaphore', 'Condition', 'Event', 'Barrier',
  'Value', 'RawValue', 'SharedArray', 'RawArray', 'Manager',
] as const;

/** The API of the redis context. */
export type RedisContext = {
  readonly method: 'redis';
  /** A Pool whose tasks run on `multiproc worker` processes through this context's Redis. */
  readonly Pool: new (options?: RedisContextPoolOptions | number | null) => Pool;
  /** A ProcessPoolExecutor whose calls run on `multiproc worker` processes through this context's Redis. */
  readonly ProcessPoolExecutor: new (options?: RedisContextExecutorOptions) => ProcessPoolExecutor;
  getStartMethod(): 'redis';
} & { readonly [name in (typeof LOCAL_ONLY_NAMES)[number]]: LocalOnly };

function localOnly(name: string): LocalOnly {
  // A function expression, not an arrow: `new ctx.Process()` must reach the throw below too.
  // biome-ignore lint/complexity/useArrowFunction: an arrow cannot be called with new
  const member = function (): never {
    throw new InvalidStateError(
      `getContext('redis').${name}: ${name} is local-only: processes, queues, locks and shared memory live on one machine. ` +
        `Use the local contexts' ${name} (getContext('process').${name}, or the package root's), and the redis context for Pool and ProcessPoolExecutor.`,
    );
  };
  Object.defineProperty(member, 'name', { value: name });
  return member as unknown as LocalOnly;
}

/** The redis context bound to `options` (checked now, so a bad url fails here, not at the first task). */
export function redisContext(options: RedisOptions): RedisContext {
  checkRedisOptions("getContext('redis')", options);
  const bound: RedisOptions = { ...options };
  const RedisPool = class extends Pool {
    constructor(more?: RedisContextPoolOptions | number | null) {
      const extra = typeof more === 'number' ? { processes: more } : (more ?? {});
      super({ ...bound, ...extra, context: 'redis' });
    }
  };
  const RedisExecutor = class extends ProcessPoolExecutor {
    constructor(more: RedisContextExecutorOptions = {}) {
      super({ ...bound, ...more, context: 'redis' });
    }
  };
  Object.defineProperty(RedisPool, 'name', { value: 'Pool' });
  Object.defineProperty(RedisExecutor, 'name', { value: 'ProcessPoolExecutor' });
  const members = Object.fromEntries(LOCAL_ONLY_NAMES.map((name) => [name, localOnly(name)]));
  return Object.freeze({
    ...members,
    method: 'redis',
    Pool: RedisPool,
    ProcessPoolExecutor: RedisExecutor,
    getStartMethod: () => 'redis',
  }) as RedisContext;
}
