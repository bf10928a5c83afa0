// Managers: Python's multiprocessing.managers. A manager is a process that holds shared
// objects; other processes use them through proxies (proxy.ts). Manager() starts a SyncManager
// with Python's type ids; BaseManager serves the type ids you register, and connect() reaches a
// manager another program started (TCP or a Unix socket, with an authkey).

import { getLogger } from '../base/log.js';
import { randomBytes } from 'node:crypto';
import type { Address } from '../connection/listener.js';
import { InvalidStateError } from '../base/errors.js';
import { keepAlive, whileKeptAlive } from '../base/keep-alive.js';
import { loadNative } from '../native/loader.js';
import { currentProcess } from '../base/identity.js';
import { Process } from '../process/process.js';
import type { MapOptions, Returning } from '../pool/options.js';
import type { Pool } from '../pool/pool.js';
import { type JoinableQueue, Queue } from '../queue/queue.js';
import type { Barrier } from '../sync/barrier.js';
import type { Condition } from '../sync/condition.js';
import type { Event } from '../sync/event.js';
import type { Lock } from '../sync/lock.js';
import type { RLock } from '../sync/rlock.js';
import type { BoundedSemaphore, Semaphore } from '../sync/semaphore.js';
import type { ElementOf, Typecode } from '../shared/typecodes.js';
import { type AnyFunction, describeTask, type Task, type TaskDescriptor, taskRef } from '../tasks/task-ref.js';
import { remoteTaskError } from '../tasks/error-codec.js';
import { receiverRoot } from '../tasks/task-trust.js';
import { checkInteger, checkOptionsObject, checkTimeout, invalidType, invalidValue } from '../base/validate.js';
import { clientFor, forgetClient, type ManagerClient } from './client.js';
import { makeProxy } from './proxy.js';
import './proxy-record.js';
import type { ArrayProxy, DictKey, DictProxy, ListProxy, NamespaceProxy, Proxy as ProxyOf, ValueProxy } from './proxy-types.js';
import type { InitializerFailure, LinkOptions, ServerSettings, SharedMessage, StartReport } from './wire.js';

/** The manager process's main, by reference: only the manager process loads the server. */
const serveManager = taskRef<typeof import('./server.js'), 'serveManager'>(new URL('./server.js', import.meta.url), 'serveManager');

export interface BaseManagerOptions {
  /** Where the manager listens: `{ host, port }` (port 0: any free one) or a Unix socket path. @default a new Unix socket */
  address?: Address;
  /** The key clients must prove they hold. @default currentProcess().authkey (children inherit it) */
  authkey?: string | Uint8Array;
  /** How long a connecting peer may take to pass the authkey handshake, in ms (the manager's Listener and this side's Client). @default 5000 */
  handshakeTimeout?: number;
  /** The largest message, in bytes, the manager and its clients accept; also the most one managed object may allocate (`Array('d', n)`). @default 268435456 (256 MiB) */
  maxMessageSize?: number;
}

function toKey(authkey: string | Uint8Array | undefined): Uint8Array {
  if (authkey === undefined) return currentProcess().authkey;
  if (typeof authkey === 'string') return Buffer.from(authkey, 'utf8');
  if (authkey instanceof Uint8Array) return authkey;
  throw invalidType('BaseManager: "authkey"', 'a string or a Uint8Array', authkey);
}

function toLinkOptions(options: BaseManagerOptions): LinkOptions {
  const handshakeTimeout = checkTimeout('BaseManager: "handshakeTimeout"', options.handshakeTimeout);
  const maxMessageSize = options.maxMessageSize == null ? undefined : checkInteger('BaseManager: "maxMessageSize"', options.maxMessageSize, 1);
  return { ...(handshakeTimeout === undefined ? {} : { handshakeTimeout }), ...(maxMessageSize === undefined ? {} : { maxMessageSize }) };
}

/** Python's `start(initializer, initargs)`. */
export interface ManagerStartOptions<A extends unknown[] = unknown[]> {
  /** Run in the manager process before it serves (a registered function, a taskRef, or a self-contained inline function). */
  initializer?: Task<(...args: A) => unknown> | null;
  /** Arguments for `initializer` (they travel as a Process's arguments do, handles included). @default [] */
  initArgs?: A;
}

function checkStartOptions(options: ManagerStartOptions): Pick<ServerSettings, 'initializer' | 'initArgs'> {
  checkOptionsObject('BaseManager.start: "options"', options);
  const { initializer, initArgs = [] } = options ?? {};
  if (initArgs !== null && !Array.isArray(initArgs)) throw invalidType('BaseManager.start: "initArgs"', 'an array of arguments', initArgs);
  if (initializer == null) return {};
  return { initializer: describeTask('BaseManager.start: "initializer"', initializer), initArgs: initArgs ?? [] };
}

function isStartReport(value: unknown): value is StartReport {
  const address = (value as StartReport | null)?.address;
  return typeof address === 'string' || (typeof address === 'object' && address !== null);
}

/** The address the manager process reports on its control channel; rejects if it ends or its initializer fails first. */
function startReport(server: Process): Promise<Address> {
  const reported = new Promise<Address>((resolve, reject) => {
    server.onReport((value) => {
      if (isStartReport(value)) resolve(value.address);
      else if (value !== null && typeof value === 'object' && 'initializerError' in value) {
        // As a task's error: the same class and message, the manager's stack in a RemoteError cause.
        try {
          reject(remoteTaskError((value as InitializerFailure).initializerError));
        } catch (malformed) {
          reject(malformed);
        }
      }
    });
  });
  const ended = server.exited.then(() => {
    throw new InvalidStateError(`BaseManager.start: the manager process ended (exit code ${server.exitCode}) before it listened.`);
  });
  // The manager is a daemon child, which does not keep this process alive: wait for it here.
  return keepAlive(Promise.race([reported, ended]));
}

/**
 * Python's BaseManager: serves the type ids you register.
 *
 * @example
 * const manager = new BaseManager();
 * manager.register('Counter', taskRef(import.meta.url, 'makeCounter'));
 * await manager.start();
 * const counter = await manager.create<Counter>('Counter');
 */
export class BaseManager {
  readonly #authkey: Uint8Array;
  readonly #linkOptions: LinkOptions;
  #address: Address;
  readonly #registered: Record<string, TaskDescriptor> = {};
  #server: Process | null = null;
  #client: ManagerClient | null = null;

  constructor(options: BaseManagerOptions = {}) {
    checkOptionsObject('BaseManager: "options"', options);
    this.#authkey = toKey(options.authkey);
    this.#linkOptions = toLinkOptions(options ?? {});
    // By default an abstract Unix socket: no file to leave behind, even if the manager is killed.
    this.#address = options.address ?? `\0multiproc-manager-${process.pid}-${randomBytes(6).toString('hex')}`;
  }

  /** The manager process's pid once start() ran here (undefined after connect()). */
  get pid(): number | undefined {
    return this.#server?.pid;
  }

  /** The manager's address (the bound one once started). */
  get address(): Address {
    return this.#address;
  }

  /** Makes `typeid` creatable: `factory(...args)` runs in the manager process and returns the object to serve. */
  register(typeid: string, factory: Task<AnyFunction>): void {
    if (typeof typeid !== 'string' || typeid === '') throw invalidValue('BaseManager.register: "typeid"', 'a non-empty string', typeid);
    if (this.#server) throw new InvalidStateError('BaseManager.register: register type ids before start().');
    this.#registered[typeid] = describeTask('BaseManager.register: "factory"', factory);
  }

  /**
   * Starts the manager process; it ends when this process does (even by SIGKILL) or at shutdown().
   * `initializer(...initArgs)` runs there first, as Python's `start(initializer, initargs)`; if it
   * throws, start() rejects with that error (same class and message, the manager's stack as its
   * RemoteError cause) and the manager process has ended.
   */
  async start<A extends unknown[] = unknown[]>(options: ManagerStartOptions<A> = {}): Promise<void> {
    if (this.#server || this.#client) throw new InvalidStateError('BaseManager.start: the manager is already started or connected.');
    const initialization = checkStartOptions(options as ManagerStartOptions);
    // The tree's clients call through this queue (its handle travels in the manager's arguments
    // and in proxy records, never over the socket); without the addon, everyone uses the socket.
    const requests = loadNative() ? new Queue<SharedMessage>() : null;
    const settings: ServerSettings = { address: this.#address, authkey: this.#authkey, registered: this.#registered, root: receiverRoot(), requests, ...initialization, ...this.#linkOptions };
    const server = new Process({ target: serveManager, args: [settings], daemon: true, name: 'SyncManager', context: 'process' });
    const reported = startReport(server);
    server.start();
    this.#server = server;
    try {
      this.#address = await reported;
    } catch (error) {
      requests?.close();
      this.#server = null;
      throw error;
    }
    this.#client = clientFor(this.#address, this.#authkey, requests, this.#linkOptions);
    getLogger().debug(`manager started (pid ${server.pid}) at ${JSON.stringify(this.#address)}`);
  }

  /** Connects to a manager already running at `address` (started by another program): calls go over the socket. */
  async connect(): Promise<void> {
    if (this.#client) throw new InvalidStateError('BaseManager.connect: already started or connected.');
    const client = clientFor(this.#address, this.#authkey, null, this.#linkOptions);
    await client.call(0, 'ping', []);
    this.#client = client;
  }

  /** Creates an object of type `typeid` in the manager and returns its proxy. */
  async create<T = Record<string, unknown>>(typeid: string, ...args: unknown[]): Promise<ProxyOf<T>> {
    const client = this.#usable('BaseManager.create');
    const id = await client.create(typeid, args);
    return makeProxy<T>(client, id, typeid);
  }

  /**
   * How many objects the manager holds now (Python's `_number_of_objects()`), for tests and
   * debugging: each is freed once no proxy refers to it.
   */
  async _objectCount(): Promise<number> {
    return (await this.#usable('BaseManager._objectCount').call(0, 'objectCount', [])) as number;
  }

  /** Stops the manager process (its objects are gone) and waits for it to exit. */
  async shutdown(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#client = null;
    getLogger().debug(`manager at ${JSON.stringify(this.#address)} shutting down`);
    await client.call(0, 'shutdown', []).catch(() => {}); // it may be gone already
    forgetClient(this.#address);
    // The manager is a daemon child, which does not keep this process alive: wait for it here.
    await whileKeptAlive(async () => this.#server?.join());
    this.#server = null;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  #usable(where: string): ManagerClient {
    if (!this.#client) throw new InvalidStateError(`${where}: call start() or connect() first.`);
    return this.#client;
  }
}

/** SyncManager.Barrier's options, as Python's Barrier(parties, action, timeout). */
export interface ManagerBarrierOptions {
  /** Run in the manager by the last party to arrive: a registered function or a taskRef to one (it resolves only to a registered function). */
  action?: Task<() => unknown> | null;
  /** Default timeout of wait(), in ms. */
  timeout?: number | null;
}

/** The proxy of an AsyncResult a manager's pool returned. */
export interface AsyncResultProxy<R> extends Disposable, AsyncDisposable {
  get(timeout?: number | null): Promise<R>;
  wait(timeout?: number | null): Promise<void>;
  ready(): Promise<boolean>;
  successful(): Promise<boolean>;
}

/** The proxy of an imap iterator a manager's pool returned: `for await`, or next(timeout). */
export interface ImapIteratorProxy<R> extends AsyncIterable<R>, Disposable, AsyncDisposable {
  next(timeout?: number | null): Promise<IteratorResult<R>>;
}

/** A manager Pool's proxy: section 4's Pool, each call async; inputs are arrays. Disposing it drops its reference (the pool is terminated once none is left). */
export interface PoolProxy extends Disposable, AsyncDisposable {
  map<A, R>(fn: Task<Returning<[A], R>>, iterable: A[], options?: MapOptions): Promise<Awaited<R>[]>;
  starmap<A extends unknown[], R>(fn: Task<Returning<A, R>>, iterable: A[], options?: MapOptions): Promise<Awaited<R>[]>;
  apply<A extends unknown[], R>(fn: Task<Returning<A, R>>, args?: A): Promise<Awaited<R>>;
  mapAsync<A, R>(fn: Task<Returning<[A], R>>, iterable: A[], options?: MapOptions): Promise<AsyncResultProxy<Awaited<R>[]>>;
  starmapAsync<A extends unknown[], R>(fn: Task<Returning<A, R>>, iterable: A[], options?: MapOptions): Promise<AsyncResultProxy<Awaited<R>[]>>;
  applyAsync<A extends unknown[], R>(fn: Task<Returning<A, R>>, args?: A): Promise<AsyncResultProxy<Awaited<R>>>;
  imap<A, R>(fn: Task<Returning<[A], R>>, iterable: A[], options?: MapOptions): Promise<ImapIteratorProxy<Awaited<R>>>;
  imapUnordered<A, R>(fn: Task<Returning<[A], R>>, iterable: A[], options?: MapOptions): Promise<ImapIteratorProxy<Awaited<R>>>;
  close(): Promise<void>;
  terminate(): Promise<void>;
  join(): Promise<void>;
}

/** Python's SyncManager: a manager with dict, list, Namespace, queues, locks and the rest. */
export class SyncManager extends BaseManager {
  /** A dict in the manager. Its key and value types are what you name (`dict<string, number>()`); `init` does not narrow them. */
  dict<K extends DictKey = DictKey, V = unknown>(init?: Map<NoInfer<K>, NoInfer<V>> | Record<string, NoInfer<V>> | [NoInfer<K>, NoInfer<V>][]): Promise<DictProxy<K, V>> {
    return this.create('dict', init) as Promise<unknown> as Promise<DictProxy<K, V>>;
  }
  /** A list in the manager; `for await (const item of list)` reads its items. */
  list<T = unknown>(init?: Iterable<NoInfer<T>>): Promise<ListProxy<T>> {
    return this.create('list', init === undefined ? undefined : [...init]) as Promise<unknown> as Promise<ListProxy<T>>;
  }
  Namespace<T extends Record<string, unknown> = Record<string, unknown>>(init?: Partial<NoInfer<T>>): Promise<NamespaceProxy<T>> {
    return this.create('Namespace', init) as Promise<unknown> as Promise<NamespaceProxy<T>>;
  }
  /** A value in the manager: numbers for most typecodes, bigints for `q Q l L` (the typecode is kept, not enforced, as Python's). */
  Value<C extends Typecode>(typecode: C, value: ElementOf<C>): Promise<ValueProxy<ElementOf<C>>> {
    return this.create('Value', typecode, value) as Promise<unknown> as Promise<ValueProxy<ElementOf<C>>>;
  }
  /** An array of fixed length in the manager: `init` is its length (zeros) or its items. */
  Array<C extends Exclude<Typecode, 'c'>>(typecode: C, init: ElementOf<C>[] | number): Promise<ArrayProxy<ElementOf<C>>> {
    return this.create('Array', typecode, init) as Promise<unknown> as Promise<ArrayProxy<ElementOf<C>>>;
  }
  Queue<T = unknown>(maxsize = 0): Promise<ProxyOf<Queue<T>>> {
    return this.create<Queue<T>>('Queue', maxsize);
  }
  JoinableQueue<T = unknown>(maxsize = 0): Promise<ProxyOf<JoinableQueue<T>>> {
    return this.create<JoinableQueue<T>>('JoinableQueue', maxsize);
  }
  Lock(): Promise<ProxyOf<Lock>> {
    return this.create<Lock>('Lock');
  }
  RLock(): Promise<ProxyOf<RLock>> {
    return this.create<RLock>('RLock');
  }
  Semaphore(value = 1): Promise<ProxyOf<Semaphore>> {
    return this.create<Semaphore>('Semaphore', value);
  }
  BoundedSemaphore(value = 1): Promise<ProxyOf<BoundedSemaphore>> {
    return this.create<BoundedSemaphore>('BoundedSemaphore', value);
  }
  /** Python's `manager.Condition(manager.Lock())`: `lock` is a Lock or RLock proxy of this manager (a new RLock by default). */
  Condition(lock?: ProxyOf<Lock> | ProxyOf<RLock>): Promise<ProxyOf<Condition>> {
    return lock === undefined ? this.create<Condition>('Condition') : this.create<Condition>('Condition', lock);
  }
  Event(): Promise<ProxyOf<Event>> {
    return this.create<Event>('Event');
  }
  /** Python's `manager.Barrier(parties, action, timeout)`; the action runs in the manager process (see ManagerBarrierOptions). */
  Barrier(parties: number, options?: ManagerBarrierOptions | number): Promise<ProxyOf<Barrier>> {
    return this.create<Barrier>('Barrier', parties, options);
  }
  /**
   * A Pool in the manager process, for registered functions. Its AsyncResults and imap
   * iterators stay in the manager and come back as proxies.
   */
  Pool(processes?: number): Promise<PoolProxy> {
    return this.create<Pool>('Pool', processes) as Promise<unknown> as Promise<PoolProxy>;
  }
}

/**
 * Python's `multiprocessing.Manager()`: a started SyncManager. `await using` shuts it down.
 *
 * @example
 * await using manager = await Manager();
 * const shared = await manager.dict();
 * await shared.set('answer', 42);
 */
export async function Manager(options?: BaseManagerOptions): Promise<SyncManager> {
  const manager = new SyncManager(options);
  await manager.start();
  return manager;
}
