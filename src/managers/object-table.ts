// The objects a manager process holds, by id, and the calls on them (Python's Server.id_to_obj
// and serve_client). Nothing received is executed: a call names a registered type id (to
// create) or an exposed member of an object held here; a function arrives only as a task
// reference, which resolves to a registered function under the manager's root (task-trust.ts).

import { KeyError } from '../base/errors.js';
import { AsyncResult } from '../pool/async-result.js';
import { StreamJob } from '../pool/stream-job.js';
import { resolveTask } from '../tasks/resolve-task.js';
import { registeredOnlyRef, type TaskDescriptor } from '../tasks/task-ref.js';
import { untrustedTask } from '../tasks/task-trust.js';
import { invalidType, invalidValue } from '../base/validate.js';
import { isExposed } from './exposed.js';
import { builtInFactories, type Factory } from './factories.js';
import { type ManagerRequest, markProxy, proxyMarkOf, TASK_MARK } from './wire.js';
import { DESCEND, replaceDeep } from './wire-values.js';

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
  #nextId = 1;
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

  /** Runs a request whose shape was checked (wire.ts); its result is plain data or a proxy marker. */
  async call(request: ManagerRequest): Promise<unknown> {
    const { target, method } = request;
    if (target === 0) return this.#managerCall(method, request.args);
    const held = this.#objects.get(target);
    if (!held) throw new KeyError(`manager: no object ${target} (it was never created here, or the manager restarted).`);
    if (!isExposed(held.typeid, held.object, method)) {
      throw invalidValue(`manager call on a ${held.typeid}`, `one of its public methods`, method, `"${method}" is not a method of ${held.typeid} objects.`);
    }
    const member = (held.object as Record<string, unknown>)[method];
    if (typeof member !== 'function') return member; // a property reads as a method
    const args = this.#fromClient(request.args, `${held.typeid}.${method}: args`, false) as unknown[];
    const result: unknown = member.apply(held.object, args); // not awaited yet: an AsyncResult is a thenable
    // A pool's AsyncResult or imap iterator cannot travel: it stays here, and a proxy goes back.
    if (result instanceof AsyncResult) return this.#keep(result, 'AsyncResult');
    if (result instanceof StreamJob) return this.#keep(result, 'ImapIterator');
    return result;
  }

  #keep(object: object, typeid: string): unknown {
    const id = this.#nextId++;
    this.#objects.set(id, { object, typeid });
    return markProxy(id, typeid);
  }

  /**
   * A client's arguments, made usable here: a task descriptor becomes a reference that resolves
   * only to a registered function under the root; a proxy of an object held here stays its
   * marker (stored in a dict, it reads back as a proxy), or for a factory becomes the object.
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
      return isForFactory ? held.object : markProxy(mark.id, held.typeid);
    });
  }

  async #managerCall(method: string, args: unknown[]): Promise<unknown> {
    if (method === 'ping') return 'pong';
    if (method === 'shutdown') {
      setImmediate(this.#stop); // after the reply is sent
      return null;
    }
    if (method !== 'create') throw invalidValue('manager call', '"ping", "create" or "shutdown"', method);
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
    return id;
  }
}
