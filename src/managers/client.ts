// A process's connection to a manager: one per manager address, shared by all its proxies.
// Calls are multiplexed over it by id, so one that waits (a lock's acquire) holds up no other.
// It keeps the process alive only while a call is in progress (base/keep-alive.ts).
//
// Two links: inside the process tree that started the manager, calls go through the manager's
// shared request queue (its handle came in the proxy record or the manager's start), replies
// through a pipe of this client's; from anywhere else (connect()), over the socket, where only
// plain data travels (SPEC §14).

import { randomBytes } from 'node:crypto';
import { type Connection, transportOf } from '../connection/connection.js';
import { Client, type Address } from '../connection/listener.js';
import { Pipe } from '../connection/pipe.js';
import { SocketTransport } from '../connection/socket-transport.js';
import { EOFError, InvalidStateError } from '../base/errors.js';
import { holdEventLoop } from '../base/keep-alive.js';
import type { Queue } from '../queue/queue.js';
import { describeTask, isTaskRef } from '../tasks/task-ref.js';
import { invalidValue } from '../base/validate.js';
import { makeProxy, type ProxyClient, proxyStateOf } from './proxy.js';
import { type LinkOptions, type ManagerReply, type ManagerRequest, markProxy, proxyMarkOf, SHARED_HELLO, type SharedMessage, TASK_MARK } from './wire.js';
import { DESCEND, replaceDeep } from './wire-values.js';

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** How calls travel: over the socket, or (inside the tree) through shared memory. */
interface Link {
  send(request: ManagerRequest): void;
  recv(): Promise<ManagerReply>;
  close(): void;
}

function socketLink(connection: Connection): Link {
  // The socket stays open between calls but never holds the process: a call in progress does (call()).
  const transport = transportOf(connection);
  if (transport instanceof SocketTransport) transport.keepProcessAlive(false);
  return {
    send: (request) => connection.send(request),
    recv: () => connection.recv<ManagerReply>(),
    close: () => connection.close(),
  };
}

/**
 * Calls through the manager's request queue, replies through a pipe whose other end this client
 * hands over on that queue: a call costs a shared-memory hand-off (µs), not a socket round trip.
 */
async function sharedLink(requests: Queue<SharedMessage>): Promise<Link> {
  const client = randomBytes(12).toString('hex');
  // Two-way, though the manager only sends on it: its end sees EOF when this client is gone.
  const [replies, theirs] = Pipe(true);
  requests.putNowait({ hello: SHARED_HELLO, client, replies: theirs });
  try {
    await replies.recv(); // the manager holds its end now
  } finally {
    theirs.close();
  }
  return {
    send: (request) => requests.putNowait({ ...request, client }),
    recv: () => replies.recv<ManagerReply>(),
    close: () => replies.close(),
  };
}

export class ManagerClient implements ProxyClient {
  readonly address: Address;
  readonly #authkey: Uint8Array;
  #requests: Queue<SharedMessage> | null;
  readonly #options: LinkOptions;
  #link: Promise<Link> | null = null;
  readonly #pending = new Map<number, PendingCall>();
  #nextId = 1;
  #isReceiving = false;
  #isClosed = false;

  constructor(address: Address, authkey: Uint8Array, requests: Queue<SharedMessage> | null, options: LinkOptions) {
    this.address = address;
    this.#authkey = authkey;
    this.#requests = requests;
    this.#options = options;
  }

  /** @internal The manager's authkey: it travels in proxy records (inside the tree only), so that a child reconnects with it. */
  get authkey(): Uint8Array {
    return this.#authkey;
  }

  /** @internal The manager's request queue, when this client is inside its tree (it travels in proxy records). */
  get requests(): Queue<SharedMessage> | null {
    return this.#requests;
  }

  /** A request queue that arrived in a proxy record: used from the next connection on. */
  adoptRequests(requests: Queue<SharedMessage>): void {
    if (this.#requests) requests.close(); // one copy is enough
    else this.#requests = requests;
  }

  /** Calls `method` on object `target` (0: the manager) in the manager process. */
  async call(target: number, method: string, args: unknown[]): Promise<unknown> {
    const wireArgs = this.#toWire(args, `${method}: args`);
    const link = await this.#connect();
    const id = this.#nextId++;
    // The process stays alive until the answer is in, even if nothing else keeps it running.
    const release = holdEventLoop();
    const reply = new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject })).finally(release);
    try {
      link.send({ id, target, method, args: wireArgs });
    } catch (error) {
      this.#pending.delete(id);
      release();
      throw error;
    }
    if (!this.#isReceiving) void this.#receive(link);
    return reply;
  }

  /** Creates an object of type `typeid` in the manager; returns its object id. Errors name `<typeid>: args[i]`. */
  async create(typeid: string, args: unknown[]): Promise<number> {
    const wireArgs = this.#toWire(args, `${typeid}: args`); // markers pass through call()'s own walk unchanged
    return (await this.call(0, 'create', [typeid, wireArgs])) as number;
  }

  /**
   * Drops one reference to object `id` (a proxy disposed or collected). Never rejects, and never
   * opens a link: a manager already gone has nothing left to free.
   */
  release(id: number): Promise<void> {
    // References belong to a link: one that was lost (the manager gone, or this client closed)
    // was released with all it held, and a new link holds none.
    if (this.#isClosed || this.#link === null) return Promise.resolve();
    return this.call(0, 'decref', [id]).then(
      () => {},
      () => {},
    );
  }

  /**
   * A proxy of object `id` is being sent to another process: it counts as one reference from
   * now until the receiver adopts it. Sent before anything this process sends later (a decref
   * of its own proxy), on the same link, so the object cannot be freed in between.
   */
  transfer(id: number): string {
    const token = randomBytes(12).toString('hex');
    void this.call(0, 'transfer', [id, token]).catch(() => {});
    return token;
  }

  /** This process rebuilt a proxy from a record: it takes over the record's reference. */
  adopt(id: number, token: string): void {
    void this.call(0, 'adopt', [id, token]).catch(() => {}); // a freed object: the proxy's calls will say so
  }

  close(): void {
    this.#isClosed = true;
    void this.#link?.then(
      (link) => link.close(),
      () => {},
    );
    this.#link = null;
    this.#requests?.close();
    this.#requests = null;
  }

  /**
   * Arguments as plain data: a proxy of this manager becomes its object id (the manager looks
   * it up, Python's RebuildProxy), a function its task descriptor; a proxy of another manager
   * is refused here, naming where it sits.
   */
  #toWire(args: unknown[], where: string): unknown[] {
    return replaceDeep(args, where, (node, at) => {
      if (typeof node === 'function' || isTaskRef(node)) return { [TASK_MARK]: describeTask(at, node) };
      const state = proxyStateOf(node);
      if (!state) return DESCEND;
      if (state.isDisposed) throw new InvalidStateError(`${at}: this ${state.typeid} proxy was disposed; pass a proxy that is still in use.`);
      if (state.client !== this) {
        throw invalidValue(at, `a proxy of the manager at ${JSON.stringify(this.address)}`, String(node), 'A proxy can only be sent to its own manager; send its value instead.');
      }
      return markProxy(state.id, state.typeid);
    }) as unknown[];
  }

  /** Objects the manager holds (a dict's nested list, a pool's AsyncResult) arrive as proxies. */
  #fromWire(value: unknown): unknown {
    return replaceDeep(value, 'reply', (node) => {
      const mark = proxyMarkOf(node);
      return mark ? makeProxy(this, mark.id, mark.typeid) : DESCEND;
    });
  }

  #connect(): Promise<Link> {
    if (!this.#link) {
      const requests = this.#requests;
      this.#link = requests
        ? sharedLink(requests)
        : Client({ address: this.address, authkey: this.#authkey, ...this.#options }).then(socketLink);
      this.#link.catch(() => {
        this.#link = null;
      });
    }
    return this.#link;
  }

  /** Takes replies while calls are in progress (then nothing here waits, and the process may exit). */
  async #receive(link: Link): Promise<void> {
    this.#isReceiving = true;
    try {
      while (this.#pending.size > 0) {
        let reply: ManagerReply;
        try {
          reply = await link.recv();
        } catch (error) {
          this.#link = null;
          const gone = error instanceof EOFError ? new EOFError('manager: the manager process is gone (shut down, or its owner died).', { cause: error }) : error;
          for (const call of this.#pending.values()) call.reject(gone);
          this.#pending.clear();
          return;
        }
        this.#settle(reply);
      }
    } finally {
      this.#isReceiving = false;
    }
  }

  #settle(reply: ManagerReply): void {
    const call = this.#pending.get(reply?.id);
    if (!call) return;
    this.#pending.delete(reply.id);
    if ('error' in reply) call.reject(reply.error);
    else {
      try {
        call.resolve(this.#fromWire(reply.value));
      } catch (error) {
        call.reject(error);
      }
    }
  }
}

const clients = new Map<string, ManagerClient>();

/** This process's client of the manager at `address`; `requests` when it is inside the manager's tree. */
export function clientFor(address: Address, authkey: Uint8Array, requests: Queue<SharedMessage> | null = null, options: LinkOptions = {}): ManagerClient {
  const key = `${JSON.stringify(address)} ${Buffer.from(authkey).toString('hex')}`;
  const client = clients.get(key);
  if (client) {
    if (requests) client.adoptRequests(requests);
    return client;
  }
  const created = new ManagerClient(address, authkey, requests, options);
  clients.set(key, created);
  return created;
}

/** Forgets a manager that was shut down. */
export function forgetClient(address: Address): void {
  const prefix = `${JSON.stringify(address)} `;
  for (const [key, client] of clients) {
    if (!key.startsWith(prefix)) continue;
    client.close();
    clients.delete(key);
  }
}
