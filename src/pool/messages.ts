// The wire messages between a Pool and its workers, typed once for both sides. Tasks and
// results travel in batches as flat arrays: one message carries many small tasks, each
// keeping its own result and error (per-message cost is what limits small tasks).

import type { InheritedIdentity } from '../base/identity.js';
import type { LogLevel } from '../base/log.js';
import type { Encoded } from '../tasks/codec.js';
import type { ErrorRecord } from '../tasks/error-codec.js';
import type { TaskDescriptor } from '../tasks/task-ref.js';

/** How a worker calls the function on a task's payload. */
export const TaskMode = {
  /** payload is the arguments array: fn(...args). */
  Call: 0,
  /** payload is a chunk of items: [fn(item) for each]. */
  MapChunk: 1,
  /** payload is a chunk of argument arrays: [fn(...args) for each]. */
  StarmapChunk: 2,
} as const;
export type TaskMode = (typeof TaskMode)[keyof typeof TaskMode];

/** First message to a pool worker. */
export interface PoolWorkerInit {
  readonly role: 'pool';
  readonly identity: InheritedIdentity;
  readonly initializer?: TaskDescriptor;
  readonly initArgs?: Encoded;
}

/** Stride of the flat task array: [taskId, functionId, mode, payload, hasHandles]. */
export const TASK_FIELDS = 5;
/** Stride of the flat result array: [taskId, isOk (1|0), value or ErrorRecord, hasHandles, durationMs]. */
export const RESULT_FIELDS = 5;

export type ToWorker =
  | {
      readonly type: 'run';
      /** Functions this worker has not seen yet, as [functionId, descriptor] pairs. */
      readonly functions: readonly (readonly [number, TaskDescriptor])[];
      readonly tasks: readonly unknown[];
    }
  | { readonly type: 'exit' }
  /** To a parked worker taken by a new pool: what may have changed since it started. */
  | { readonly type: 'adopted'; readonly logLevel: LogLevel };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'init-failed'; readonly error: ErrorRecord }
  | { readonly type: 'results'; readonly results: readonly unknown[] };
