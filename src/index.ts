// The package root: the public API, bound to the default context (getStartMethod()).

export type { ContextName, ResourceLimits } from './backends/backend.js';
export { getAllStartMethods, getStartMethod, type StartMethod, setStartMethod } from './backends/start-method.js';
export { type Context, getContext, Thread, ThreadPool } from './context.js';
export { Connection } from './connection/connection.js';
export {
  type Address,
  type AddressFamily,
  type Authkey,
  Client,
  type ClientOptions,
  type InetAddress,
  Listener,
  type ListenerOptions,
} from './connection/listener.js';
export { Pipe } from './connection/pipe.js';
export { wait } from './process/wait.js';
export { cpuCount } from './cpu/cpu-count.js';
export { type CpuInfo, cpuInfo } from './cpu/cpu-info.js';
export {
  AuthenticationError,
  BrokenBarrierError,
  BrokenExecutor,
  BrokenProcessPool,
  BrokenThreadPool,
  BufferTooShort,
  CancelledError,
  Empty,
  EOFError,
  Full,
  InvalidStateError,
  KeyError,
  ProcessError,
  RemoteError,
  TimeoutError,
  WorkerLostError,
} from './base/errors.js';
export type { WaitOptions } from './base/abort.js';
export {
  formatLogRecord,
  getLogger,
  type LogHandler,
  type Logger,
  type LogLevel,
  type LogRecord,
  type LogRecordLevel,
  logToStderr,
} from './base/log.js';
export { AsyncResult } from './pool/async-result.js';
export type { ImapIterator, ImapOptions, Input, MapOptions, PoolOptions, ResultCallbacks, TaskOptions } from './pool/options.js';
export {
  ALL_COMPLETED,
  asCompleted,
  type ExecutorMapOptions,
  type ExecutorOptions,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  ProcessPoolExecutor,
  type ProcessPoolExecutorOptions,
  type RedisExecutorOptions,
  type ReturnWhen,
  type ShutdownOptions,
  ThreadPoolExecutor,
} from './futures/index.js';
export * as futures from './futures/index.js';
export {
  type AsyncResultProxy,
  BaseManager,
  type BaseManagerOptions,
  type ImapIteratorProxy,
  Manager,
  type ManagerBarrierOptions,
  type ManagerStartOptions,
  type PoolProxy,
  SyncManager,
} from './managers/manager.js';
export { SharedMemoryManager } from './managers/shared-memory-manager.js';
export type { ArrayProxy, BaseProxy, DictKey, DictProxy, ListProxy, NamespaceProxy, Proxy, SortOptions, ValueProxy } from './managers/proxy-types.js';
export { Pool, type RedisPoolOptions } from './pool/pool.js';
export type { RedisOptions } from './remote/redis-options.js';
export type { LocalOnly, RedisContext, RedisContextExecutorOptions, RedisContextPoolOptions } from './redis-context.js';
export { JoinableQueue, Queue, type QueueOptions, SimpleQueue } from './queue/queue.js';
export type { ProgressOption } from './pool/progress.js';
export { currentProcess, type ProcessInfo, parentProcess } from './base/identity.js';
export { isMain } from './process/is-main.js';
export { activeChildren, Process, type ProcessOptions } from './process/process.js';
export { type ShareableItem, ShareableList, type ShareableListOptions } from './shared/shareable-list.js';
export { RawArray, RawValue, SharedArray, Value } from './shared/public-classes.js';
export { SharedMemory, type SharedMemoryOptions } from './shared/shared-memory.js';
export type { BigIntTypecode, ElementKind, ElementOf, NumberTypecode, Typecode, TypecodeOf } from './shared/typecodes.js';
export type { ValueOptions } from './shared/value.js';
export { Barrier, type BarrierOptions } from './sync/barrier.js';
export { Condition } from './sync/condition.js';
export { Event } from './sync/event.js';
export { type AcquireOptions, type HoldOptions, Lock } from './sync/lock.js';
export { RLock } from './sync/rlock.js';
export { BoundedSemaphore, Semaphore } from './sync/semaphore.js';
export { type AnyClass, type AnyFunction, register, type Task, type TaskRef, taskRef } from './tasks/task-ref.js';
