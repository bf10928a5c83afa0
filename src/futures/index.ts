// multiproc/futures: Python's concurrent.futures (also exported from the root, and as `futures`).

export {
  type ExecutorMapOptions,
  type ExecutorOptions,
  ProcessPoolExecutor,
  type ProcessPoolExecutorOptions,
  type RedisExecutorOptions,
  type ShutdownOptions,
  ThreadPoolExecutor,
} from './executor.js';
export { type DoneCallback, Future } from './future.js';
export { ALL_COMPLETED, asCompleted, type DoneAndNotDone, FIRST_COMPLETED, FIRST_EXCEPTION, type ReturnWhen, type WaitOptions, wait } from './waiting.js';
export { BrokenExecutor, BrokenProcessPool, BrokenThreadPool, CancelledError, InvalidStateError, TimeoutError } from '../base/errors.js';
