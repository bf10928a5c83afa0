// The manager process (Python's multiprocessing.managers.Server): it holds shared objects and
// serves calls on them to authenticated connections. Nothing it receives is executed: a call
// names a registered type id (to create) or an exposed method of an object it holds.

import { Client, Listener, type Address } from '../connection/listener.js';
import type { Connection } from '../connection/connection.js';
import { KeyError } from '../errors.js';
import { loadNative } from '../native/loader.js';
import { AsyncResult } from '../pool/async-result.js';
import { Pool } from '../pool/pool.js';
import { StreamJob } from '../pool/stream-job.js';
import { JoinableQueue, Queue } from '../queue/queue.js';
import { Barrier } from '../sync/barrier.js';
import { Condition } from '../sync/condition.js';
import { Event } from '../sync/event.js';
import { Lock } from '../sync/lock.js';
import { RLock } from '../sync/rlock.js';
import { BoundedSemaphore, Semaphore } from '../sync/semaphore.js';
import { resolveTask } from '../tasks/resolve-task.js';
import { register, type TaskDescriptor, taskRef } from '../tasks/task-ref.js';
import { ManagedArray, ManagedDict, ManagedList, ManagedNamespace, ManagedValue } from './managed-types.js';

/** A call: method `method` of object `target` (0: the manager itself). */
export interface ManagerRequest {
  readonly id: number;
  readonly target: number;
  readonly method: string;
  readonly args: unknown[];
}

/** A call through the shared request queue: which client's reply pipe gets the answer. */
export interface SharedRequest extends ManagerRequest {
  readonly client: number;
}

/** The key of a result that stands for an object left in the manager (an AsyncResult, an imap iterator). */
export const PROXY_MARK = '__multiprocProxy';

/** The first message of a client that would rather call through shared memory. */
export const SHARED_HELLO = 'multiproc-manager-shared';

export type ManagerReply = { readonly id: number; readonly value: unknown } | { readonly id: number; readonly error: unknown };

type Factory = (...args: never[]) => object | Promise<object>;

/** The key of an argument that stands for a function (a task descriptor); see client.ts. */
export const TASK_MARK = '__multiprocTask';

/**
 * Arguments that stand for functions become task references for the manager's Pool, which its
 * workers import, as any pool's do; the manager itself imports and runs nothing it is sent.
 */
function withTaskRefs(args: unknown[]): unknown[] {
  return args.map((arg, index) => {
    if (arg === null || typeof arg !== 'object' || !(TASK_MARK in arg)) return arg;
    const descriptor = (arg as Record<string, TaskDescriptor>)[TASK_MARK]!;
    if (descriptor.kind !== 'module') {
      throw new TypeError(`manager call: args[${index}] is an inline function; a manager takes registered functions only (register(import.meta.url, { fn }) or taskRef(...)).`);
    }
    return taskRef(descriptor.module, descriptor.name);
  });
}

/** SyncManager's type ids. */
const builtInTypes: Record<string, Factory> = {
  dict: (init?: unknown) => new ManagedDict(init),
  list: (init?: Iterable<unknown>) => new ManagedList(init),
  Namespace: (init?: Record<string, unknown>) => new ManagedNamespace(init),
  Value: (typecode: string, value: unknown) => new ManagedValue(typecode, value),
  Array: (typecode: string, init: Iterable<number> | number) => new ManagedArray(typecode, init),
  Queue: (maxsize?: number) => new Queue(maxsize),
  JoinableQueue: (maxsize?: number) => new JoinableQueue(maxsize),
  Lock: () => new Lock(),
  RLock: () => new RLock(),
  Semaphore: (value?: number) => new Semaphore(value),
  BoundedSemaphore: (value?: number) => new BoundedSemaphore(value),
  Condition: () => new Condition(),
  Event: () => new Event(),
  Barrier: (parties: number, timeout?: number) => new Barrier(parties, { timeout }),
  Pool: (processes?: number) => new Pool(processes),
};

/** True for a public method or property of the object's class (not Object's, not "_private"). */
function isExposed(object: object, name: string): boolean {
  if (name.startsWith('_') || name === 'constructor') return false;
  for (let prototype = Object.getPrototypeOf(object); prototype && prototype !== Object.prototype; prototype = Object.getPrototypeOf(prototype)) {
    if (Object.hasOwn(prototype, name)) return true;
  }
  return Object.hasOwn(object, name);
}

class ObjectTable {
  readonly #objects = new Map<number, object>();
  #nextId = 1;
  readonly #factories: Map<string, Factory | TaskDescriptor>;
  #stop: () => void = () => {};
  readonly stopped = new Promise<void>((resolve) => {
    this.#stop = resolve;
  });

  constructor(registered: Record<string, TaskDescriptor>) {
    this.#factories = new Map<string, Factory | TaskDescriptor>([...Object.entries(builtInTypes), ...Object.entries(registered)]);
  }

  async call(target: number, method: string, args: unknown[]): Promise<unknown> {
    if (target === 0) return this.#managerCall(method, args);
    const object = this.#objects.get(target);
    if (!object) throw new KeyError(`manager: no object ${target} (it was never created here, or the manager restarted).`);
    if (!isExposed(object, method)) throw new TypeError(`manager: "${method}" is not a method of ${object.constructor.name}.`);
    const member = (object as Record<string, unknown>)[method];
    if (typeof member !== 'function') return member; // a property reads as a method
    const result: unknown = member.apply(object, withTaskRefs(args));
    // A pool's AsyncResult or imap iterator cannot travel: it stays here, and a proxy goes back.
    if (result instanceof AsyncResult) return this.#keep(result, 'AsyncResult');
    if (result instanceof StreamJob) return this.#keep(result, 'ImapIterator');
    return result;
  }

  #keep(object: object, typeid: string): Record<string, { id: number; typeid: string }> {
    const id = this.#nextId++;
    this.#objects.set(id, object);
    return { [PROXY_MARK]: { id, typeid } };
  }

  async #managerCall(method: string, args: unknown[]): Promise<unknown> {
    if (method === 'ping') return 'pong';
    if (method === 'shutdown') {
      setImmediate(this.#stop); // after the reply is sent
      return null;
    }
    if (method !== 'create') throw new TypeError(`manager: unknown call "${method}".`);
    const [typeid, typeArgs] = args as [string, unknown[]];
    const factory = this.#factories.get(typeid);
    if (!factory) throw new KeyError(`manager: no type "${typeid}" is registered.`);
    const make = typeof factory === 'function' ? factory : ((await resolveTask(factory)) as Factory);
    const object = await make(...(typeArgs as never[]));
    if (object === null || typeof object !== 'object') throw new TypeError(`manager: the factory of "${typeid}" returned no object.`);
    const id = this.#nextId++;
    this.#objects.set(id, object);
    return id;
  }
}

/** Clients that call through shared memory: one request queue, a reply pipe each. */
class SharedCalls {
  readonly requests = new Queue<SharedRequest>();
  readonly #replies = new Map<number, Connection>();
  #nextClient = 1;

  /** A client's reply pipe arrived: answer with the request queue and its number. */
  welcome(connection: Connection, replies: Connection): void {
    const client = this.#nextClient++;
    this.#replies.set(client, replies);
    connection.send({ requests: this.requests, client });
  }

  async serve(table: ObjectTable): Promise<void> {
    for (;;) {
      this.#dispatch(table, await this.requests.get());
      while (!this.requests.empty()) this.#dispatch(table, this.requests.getNowait());
      // Let the answers go out before waiting again: the wait starts with a spin that would hold them.
      await new Promise(setImmediate);
    }
  }

  #dispatch(table: ObjectTable, request: SharedRequest): void {
    void table.call(request.target, request.method, request.args ?? []).then(
      (value) => this.#reply(request.client, { id: request.id, value }),
      (error: unknown) => this.#reply(request.client, { id: request.id, error }),
    );
  }

  #reply(client: number, reply: ManagerReply): void {
    try {
      this.#replies.get(client)?.send(reply);
    } catch {
      this.#replies.get(client)?.close(); // the client is gone
      this.#replies.delete(client);
    }
  }
}

function isSharedHello(message: unknown): message is { hello: string; replies: Connection } {
  return message !== null && typeof message === 'object' && (message as { hello?: unknown }).hello === SHARED_HELLO;
}

async function serveConnection(connection: Connection, table: ObjectTable, shared: SharedCalls | null): Promise<void> {
  for (;;) {
    let request: ManagerRequest;
    try {
      request = await connection.recv<ManagerRequest>();
    } catch {
      return; // the client went away
    }
    if (isSharedHello(request)) {
      if (shared) shared.welcome(connection, request.replies);
      else connection.send({ error: new TypeError('manager: shared-memory calls need the native addon in the manager process.') });
      continue;
    }
    // Each call runs on its own: a waiting acquire() does not hold up the calls behind it.
    void table
      .call(request.target, request.method, request.args ?? [])
      .then(
        (value) => connection.send({ id: request.id, value }),
        (error: unknown) => connection.send({ id: request.id, error }),
      )
      .catch(() => {}); // the client left before its answer
  }
}

/**
 * The manager process's main: listens on `address` with `authkey`, tells the starting process
 * the bound address through `reportTo`, and serves until a shutdown call.
 */
export async function serveManager(address: Address, authkey: Uint8Array, reportTo: Address, registered: Record<string, TaskDescriptor>): Promise<void> {
  const listener = new Listener({ address, authkey });
  await listener.listening;
  const report = await Client({ address: reportTo, authkey });
  report.send(listener.address);
  report.close();
  const table = new ObjectTable(registered);
  const shared = loadNative() ? new SharedCalls() : null;
  void shared?.serve(table);
  const accepting = (async () => {
    for (;;) {
      const next = await Promise.race([listener.accept().catch((error: unknown) => error), table.stopped.then(() => null)]);
      if (next === null) return;
      if (next instanceof Error) continue; // a client with a wrong authkey, say: refused, the others go on
      void serveConnection(next as Connection, table, shared);
    }
  })();
  await table.stopped;
  listener.close();
  await accepting;
  process.exit(0); // connections still open would keep the manager alive
}

register(import.meta.url, { serveManager });
