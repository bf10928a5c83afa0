// SyncManager's type ids and how the manager makes each from a client's arguments. A client
// may hold the authkey and still ask for anything: sizes are checked against the manager's
// maxMessageSize before anything is allocated (an Array of 1e12 doubles is a RangeError, not
// an out-of-memory crash), counts against what the shared words can hold.

import { Pool } from '../pool/pool.js';
import { JoinableQueue, Queue } from '../queue/queue.js';
import { bytesPerElement, checkTypecode } from '../shared/typecodes.js';
import { Barrier } from '../sync/barrier.js';
import { Event } from '../sync/event.js';
import { BoundedSemaphore, Semaphore } from '../sync/semaphore.js';
import type { AnyFunction, TaskRef } from '../tasks/task-ref.js';
import { checkInteger, checkOptionsObject, invalidType, outOfRange } from '../base/validate.js';
import { ManagedCondition } from './managed-condition.js';
import { ManagedLock, ManagedRLock } from './managed-locks.js';
import { ManagedArray, ManagedDict, ManagedList, ManagedNamespace, ManagedValue } from './managed-types.js';

export type Factory = (...args: never[]) => object | Promise<object>;

/** The largest count a 32-bit shared word holds (semaphore values, barrier parties). */
const MAX_WORD = 2 ** 31 - 1;
/** A manager's Pool: more workers than this would only be a way to exhaust the machine. */
const MAX_POOL_PROCESSES = 256;

function checkCount(where: string, value: unknown, min: number, max: number): number {
  const checked = checkInteger(where, value, min);
  if (checked > max) throw outOfRange(where, `an integer from ${min} to ${max}`, value);
  return checked;
}

function makeArray(typecode: unknown, init: unknown, maxBytes: number): ManagedArray {
  const code = checkTypecode('SyncManager.Array: "typecode"', typecode);
  if (typeof init === 'number') {
    const maxLength = Math.floor(maxBytes / bytesPerElement(code));
    checkCount('SyncManager.Array: "init" (a length)', init, 0, maxLength);
    return new ManagedArray(code, init);
  }
  if (!Array.isArray(init)) throw invalidType('SyncManager.Array: "init"', 'a length or an array of numbers', init);
  return new ManagedArray(code, init as number[]);
}

function makeBarrier(parties: unknown, options: unknown): Barrier {
  const checked = checkCount('SyncManager.Barrier: "parties"', parties, 1, MAX_WORD);
  // Python's Barrier(parties, action, timeout); a bare number is the timeout, as before.
  if (typeof options === 'number' || options == null) return new Barrier(checked, { timeout: options as number | undefined });
  checkOptionsObject('SyncManager.Barrier: "options"', options);
  const { action, timeout } = options as { action?: TaskRef<AnyFunction> | null; timeout?: number | null };
  return new Barrier(checked, { action, timeout });
}

/** The built-in type ids; `maxBytes` bounds what one object may be made to allocate. */
export function builtInFactories(maxBytes: number): Record<string, Factory> {
  return {
    dict: (init?: unknown) => new ManagedDict(init),
    list: (init?: unknown) => {
      if (init != null && !Array.isArray(init)) throw invalidType('SyncManager.list: "init"', 'an array', init);
      return new ManagedList(init as unknown[] | undefined);
    },
    Namespace: (init?: unknown) => {
      checkOptionsObject('SyncManager.Namespace: "init"', init);
      return new ManagedNamespace(init as Record<string, unknown> | undefined);
    },
    Value: (typecode: unknown, value: unknown) => new ManagedValue(checkTypecode('SyncManager.Value: "typecode"', typecode), value),
    Array: (typecode: unknown, init: unknown) => makeArray(typecode, init, maxBytes),
    Queue: (maxsize?: unknown) => new Queue(checkCount('SyncManager.Queue: "maxsize"', maxsize ?? 0, 0, Number.MAX_SAFE_INTEGER)),
    JoinableQueue: (maxsize?: unknown) => new JoinableQueue(checkCount('SyncManager.JoinableQueue: "maxsize"', maxsize ?? 0, 0, Number.MAX_SAFE_INTEGER)),
    // Held per client (caller.ts), as Python's server thread per connection holds them.
    Lock: () => new ManagedLock(),
    RLock: () => new ManagedRLock(),
    Semaphore: (value?: unknown) => new Semaphore(checkCount('SyncManager.Semaphore: "value"', value ?? 1, 0, MAX_WORD)),
    BoundedSemaphore: (value?: unknown) => new BoundedSemaphore(checkCount('SyncManager.BoundedSemaphore: "value"', value ?? 1, 0, MAX_WORD)),
    Condition: (lock?: unknown) => new ManagedCondition(lock as ManagedLock | ManagedRLock | null | undefined),
    Event: () => new Event(),
    Barrier: (parties: unknown, options?: unknown) => makeBarrier(parties, options),
    Pool: (processes?: unknown) => new Pool(processes == null ? undefined : checkCount('SyncManager.Pool: "processes"', processes, 1, MAX_POOL_PROCESSES)),
  };
}
