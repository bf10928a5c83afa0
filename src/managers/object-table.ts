// The objects a manager process holds, by id, and the calls on them (Python's Server.id_to_obj
// and serve_client). Nothing received is executed: a call names a registered type id (to
// create) or an exposed member of an object held here; a function arrives only as a task
// reference, which resolves to a registered function under the manager's root (task-trust.ts).
// An object stays here while something refers to it (references.ts), and no longer.

import { KeyError } from '../base/errors.js';
import { AsyncResult } from '../pool/async-result.js';
import { StreamJob } from '../pool/stream-job.js';
import type { Queue } from '../queue/queue.js';
import { resolveTask } from '../tasks/resolve-task.js';
import { registeredOnlyRef, type TaskDescriptor } from '../tasks/task-ref.js';
import { untrustedTask } from '../tasks/task-trust.js';
import { invalidType, invalidValue } from '../base/validate.js';
import { isExposed } from './exposed.js';
import { builtInFactories, type Factory } from './factories.js';
import { type Caller, takesCaller } from './caller.js';
import { type Holder, References } from './references.js';
import { isObjectId, type ManagerReply, type ManagerRequest, markProxy, proxyMarkOf, TASK_MARK } from './wire.js';
import { DESCEND, replaceDeep } from './wire-values.js';

/** Longest transfer token a client may send (it makes 24 hex digits). */
const MAX_TOKEN_LENGTH = 64;

function checkToken(where: string, token: unknown): string {
  if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) throw invalidValue(where, `a transfer token of 1 to ${MAX_TOKEN_LENGTH} characters`, token);
  return token;
}

function checkId(where: string, id: unknown): number {
  if (!isObjectId(id)) throw invalidValue(where, 'an object id (an integer >= 0)', id);
  return id;
}

/** A manager Queue copies what is put on it (its items live in shared memory): the proxies in an item count from its put to its get. */
const QUEUES = new Set(['Queue', 'JoinableQueue']);
const PUTS = new Set(['put', 'putNowait']);
const GETS = new Set(['get', 'getNowait']);

/** Whether `value` is a promise or another thenable: its result is awaited before the reply. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** The object ids of the proxy markers inside `value`. */
function markerIds(value: unknown): number[] {
  const ids: number[] = [];
  replaceDeep(value, 'value', (node) => {
    const mark = proxyMarkOf(node);
    if (!mark) return DESCEND;
    ids.push(mark.id);
    return node;
  });
  return ids;
}

interface Held {
  readonly object: object;
  readonly typeid: string;
}

export interface TableOptions {
  /** What task references from clients must lie under (the owner's working directory). */
  readonly root: string;
  /** The most bytes one object may be made to allocate (the manager's maxMessageSize). */
  readonly maxBytes: number;
}

export class ObjectTable {
  readonly #objects = new Map<number, Held>();
  readonly #references = new References((id) => this.#free(id));
  /** A proxy marker stored in a managed object counts as a reference until it is collected. */
  readonly #storedMarkers = new FinalizationRegistry<number>((id) => this.#references.drop(id, null));
  #nextId = 1;
  #callsInProgress = 0;
  readonly #factories: Map<string, Factory | TaskDescriptor>;
  readonly #root: string;
  #stop: () => void = () => {};
  readonly stopped = new Promise<void>((resolve) => {
    this.#stop = resolve;
  });

  constructor(registered: Record<string, TaskDescriptor>, options: TableOptions) {
    this.#root = options.root;
    this.#factories = new Map<string, Factory | TaskDescriptor>([...Object.entries(builtInFactories(options.maxBytes)), ...Object.entries(registered)]);
  }

  /** How many objects are held (Python's _number_of_objects). */
  get size(): number {
    return this.#objects.size;
  }

  /**
   * Runs a request of client `caller` whose shape was checked (wire.ts), and hands its reply to
   * `answer`: at once when the call's result is at hand (most calls), later when it is a
   * promise (an acquire() that waits). Its value is plain data in which each proxy marker counts
   * as one reference of that client (its new proxy's).
   */
  call(request: ManagerRequest, caller: Caller, answer: (reply: ManagerReply) => void): void {
    const typeid = request.target === 0 ? null : this.#objects.get(request.target)?.typeid;
    let result: unknown;
    try {
      result = this.#run(request, caller);
    } catch (error) {
      answer({ id: request.id, error });
      return;
    }
    if (!isThenable(result)) {
      this.#answer(request, typeid, caller, result, answer);
      return;
    }
    this.#callsInProgress++;
    Promise.resolve(result).then(
      (value) => {
        this.#callsInProgress--;
        this.#answer(request, typeid, caller, value, answer);
      },
      (error: unknown) => {
        this.#callsInProgress--;
        answer({ id: request.id, error });
      },
    );
  }

  /** Calls whose result is a promise not settled yet (an acquire() that waits, a pool's map). */
  get callsInProgress(): number {
    return this.#callsInProgress;
  }

  #answer(request: ManagerRequest, typeid: string | null | undefined, caller: Caller, result: unknown, answer: (reply: ManagerReply) => void): void {
    try {
      this.#countMarkers(result, caller.holder);
      if (typeid && QUEUES.has(typeid) && GETS.has(request.method)) for (const id of markerIds(result)) this.#references.drop(id, null); // out of the queue
    } catch (error) {
      answer({ id: request.id, error });
      return;
    }
    // No `value: undefined` (a set()'s answer): a reply of plain fields is the cheapest to send.
    answer(result === undefined ? { id: request.id } : { id: request.id, value: result });
  }

  /**
   * A client went away: the locks it held pass on, its waits end (caller.ts), and the
   * references it held are dropped (Python: its connection closed).
   */
  release(caller: Caller): void {
    caller.leave();
    this.#references.release(caller.holder);
  }

  /** The call's result, or a promise of it. */
  #run(request: ManagerRequest, caller: Caller): unknown {
    const { target, method } = request;
    if (target === 0) return this.#managerCall(method, request.args, caller.holder);
    const held = this.#objects.get(target);
    if (!held) throw new KeyError(`manager: no object ${target}: it was freed once no proxy referred to it any more (or was never created here).`);
    if (!isExposed(held.typeid, held.object, method)) {
      throw invalidValue(`manager call on a ${held.typeid}`, `one of its public methods`, method, `"${method}" is not a method of ${held.typeid} objects.`);
    }
    const member = (held.object as Record<string, unknown>)[method];
    if (typeof member !== 'function') return member; // a property reads as a method
    const args = this.#fromClient(request.args, `${held.typeid}.${method}: args`, false) as unknown[];
    if (QUEUES.has(held.typeid) && PUTS.has(method)) return this.#put(member, held.object, args);
    // Who calls is known here, from the link the request came in on, never from its bytes.
    const result: unknown = takesCaller(held.object) ? member.call(held.object, caller, ...args) : member.apply(held.object, args); // not awaited yet: an AsyncResult is a thenable
    // A pool's AsyncResult or imap iterator cannot travel: it stays here, and a proxy goes back.
    if (result instanceof AsyncResult) return this.#keep(result, 'AsyncResult');
    if (result instanceof StreamJob) return this.#keep(result, 'ImapIterator');
    return result;
  }

  /** A put on a manager Queue: the proxies in the item count until a get takes it (or the put fails). */
  async #put(put: Function, queue: object, args: unknown[]): Promise<unknown> {
    const queued = markerIds(args[0]);
    for (const id of queued) this.#references.add(id, null);
    try {
      return await put.apply(queue, args);
    } catch (error) {
      for (const id of queued) this.#references.drop(id, null);
      throw error;
    }
  }

  /** A queue freed with items inside: the proxies in them count no more. */
  #dropQueued(queue: Queue<unknown>): void {
    for (;;) {
      let item: unknown;
      try {
        if (queue.empty()) return;
        item = queue.getNowait();
      } catch {
        return;
      }
      for (const id of markerIds(item)) this.#references.drop(id, null);
    }
  }

  /** A new object with no reference yet: the proxy marker returned counts the first (call()). */
  #keep(object: object, typeid: string): unknown {
    const id = this.#nextId++;
    this.#objects.set(id, { object, typeid });
    return markProxy(id, typeid);
  }

  #countMarkers(result: unknown, holder: Holder): void {
    replaceDeep(result, 'reply', (node) => {
      const mark = proxyMarkOf(node);
      if (!mark) return DESCEND;
      if (this.#objects.has(mark.id)) this.#references.add(mark.id, holder);
      return node;
    });
  }

  /** Nothing refers to object `id` any more: it goes (a Pool's workers with it, as Python's Pool finalizer). */
  #free(id: number): void {
    const held = this.#objects.get(id);
    this.#objects.delete(id);
    if (held?.typeid === 'Pool') void (held.object as { terminate(): Promise<void> }).terminate().catch(() => {});
    if (held && QUEUES.has(held.typeid)) this.#dropQueued(held.object as Queue<unknown>);
  }

  /**
   * A client's arguments, made usable here: a task descriptor becomes a reference that resolves
   * only to a registered function under the root; a proxy of an object held here stays its
   * marker (stored in a dict, it reads back as a proxy), or for a factory becomes the object.
   * A marker counts as a reference to its object until it is collected: as long as a managed
   * object stores it (Python's proxies held by the server).
   */
  #fromClient(args: unknown, where: string, isForFactory: boolean): unknown {
    return replaceDeep(args, where, (node, at) => {
      if (Object.hasOwn(node, TASK_MARK)) {
        const descriptor = untrustedTask(at, (node as Record<string, unknown>)[TASK_MARK], this.#root);
        return registeredOnlyRef(descriptor.module, descriptor.name, this.#root);
      }
      const mark = proxyMarkOf(node);
      if (!mark) return DESCEND;
      const held = this.#objects.get(mark.id);
      if (!held) throw new KeyError(`${at}: no object ${mark.id} in this manager (a proxy of another manager, or of an object gone).`);
      if (isForFactory) return held.object;
      const marker = markProxy(mark.id, held.typeid);
      this.#references.add(mark.id, null);
      this.#storedMarkers.register(marker, mark.id);
      return marker;
    });
  }

  async #managerCall(method: string, args: unknown[], holder: Holder): Promise<unknown> {
    if (method === 'ping') return 'pong';
    if (method === 'decref') return void this.#references.drop(checkId('manager decref: "id"', args[0]), holder);
    if (method === 'transfer') return this.#transfer(args, holder);
    if (method === 'adopt') return this.#adopt(args, holder);
    if (method === 'objectCount') return this.#objects.size;
    if (method === 'shutdown') {
      setImmediate(this.#stop); // after the reply is sent
      return null;
    }
    if (method !== 'create') throw invalidValue('manager call', '"ping", "create", "decref", "transfer", "adopt", "objectCount" or "shutdown"', method);
    const [typeid, typeArgs] = args;
    if (typeof typeid !== 'string') throw invalidType('manager create: "typeid"', 'a string', typeid);
    if (typeArgs !== undefined && !Array.isArray(typeArgs)) throw invalidType('manager create: "args"', 'an array', typeArgs);
    const factory = this.#factories.get(typeid);
    if (!factory) throw new KeyError(`manager: no type "${typeid}" is registered.`);
    const made = this.#fromClient(typeArgs ?? [], `${typeid}: args`, true) as never[];
    // Registered factories came from the owner, over the tree's transport: resolved as the tree's own.
    const make = typeof factory === 'function' ? factory : ((await resolveTask(factory)) as Factory);
    const object = await make(...made);
    if (object === null || typeof object !== 'object') throw new TypeError(`manager: the factory of "${typeid}" returned no object.`);
    const id = this.#nextId++;
    this.#objects.set(id, { object, typeid });
    this.#references.add(id, holder); // the creator's proxy's
    return id;
  }

  #transfer(args: unknown[], holder: Holder): null {
    const id = checkId('manager transfer: "id"', args[0]);
    const token = checkToken('manager transfer: "token"', args[1]);
    if (!this.#objects.has(id)) throw new KeyError(`manager: no object ${id} to send: it was freed once no proxy referred to it any more.`);
    this.#references.transfer(id, token, holder);
    return null;
  }

  #adopt(args: unknown[], holder: Holder): null {
    const id = checkId('manager adopt: "id"', args[0]);
    const token = checkToken('manager adopt: "token"', args[1]);
    if (!this.#references.adopt(id, token, holder, this.#objects.has(id))) {
      throw new KeyError(`manager: no object ${id}: it was freed before this proxy arrived (its sender's process ended first).`);
    }
    return null;
  }
}
