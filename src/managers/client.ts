// A process's connection to a manager: one per manager address, shared by all its proxies.
// Calls are multiplexed over it by id, so one that waits (a lock's acquire) holds up no other.
// It keeps the process alive only while a call is in progress.
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
import { EOFError } from '../base/errors.js';
import type { Queue } from '../queue/queue.js';
import { describeTask, isTaskRef } from '../tasks/task-ref.js';
import { invalidValue } from '../base/validate.js';
import { makeProxy, proxyStateOf } from './proxy.js';
import { type ManagerReply, type ManagerRequest, markProxy, proxyMarkOf, SHARED_HELLO, type SharedRequest, TASK_MARK } from './wire.js';
import { DESCEND, replaceDeep } from './wire-values.js';

/** Limits of the socket link, passed to Client (see BaseManagerOptions). */
export interface LinkOptions {
  readonly handshakeTimeout?: number;
  readonly maxMessageSize?: number;
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** How calls travel: over the socket, or (inside the tree) through shared memory. */
interface Link {
  send(request: ManagerRequest): void;
  recv(): Promise<ManagerReply>;
  /** Whether the link keeps the process alive (only while a call is in progress). */
  keepAlive(keep: boolean): void;
  close(): void;
}

function socketLink(connection: Connection): Link {
  return {
    send: (request) => connection.send(request),
    recv: () => connection.recv<ManagerReply>(),
    keepAlive: (keep) => {
      const transport = connection.closed ? null : transportOf(connection);
      if (transport instanceof SocketTransport) transport.keepProcessAlive(keep);
    },
    close: () => connection.close(),
  };
}

/**
 * Calls through the manager's request queue, replies through a pipe whose other end this client
 * hands over on that queue: a call costs a shared-memory hand-off (µs), not a socket round trip.
 */
async function sharedLink(requests: Queue<SharedRequest | SharedHello>): Promise<Link> {
  const client = randomBytes(12).toString('hex');
  const [replies, theirs] = Pipe(false);
  requests.putNowait({ hello: SHARED_HELLO, client, replies: theirs });
  try {
    await replies.recv(); // the manager holds its end now
  } finally {
    theirs.close();
  }
  return {
    send: (request) => requests.putNowait({ ...request, client }),
    recv: () => replies.recv<ManagerReply>(),
    keepAlive: () => {}, // a pipe holds the process only while a recv waits, and one waits only during calls
    close: () => replies.close(),
  };
}

/** A client's first message on the shared request queue. */
export interface SharedHello {
  readonly hello: typeof SHARED_HELLO;
  readonly client: string;
  readonly replies: Connection;
}

export class ManagerClient {
  readonly address: Address;
  readonly #authkey: Uint8Array;
  #requests: Queue<SharedRequest | SharedHello> | null;
  readonly #options: LinkOptions;
  #link: Promise<Link> | null = null;
  readonly #pending = new Map<number, PendingCall>();
  #nextId = 1;
  #isReceiving = false;

  constructor(address: Address, authkey: Uint8Array, requests: Queue<SharedRequest | SharedHello> | null, options: LinkOptions) {
    this.address = address;
    this.#authkey = authkey;
    this.#requests = requests;
    this.#options = options;
  }

  /** @internal The manager's request queue, when this client is inside its tree (it travels in proxy records). */
  get requests(): Queue<SharedRequest | SharedHello> | null {
    return this.#requests;
  }

  /** A request queue that arrived in a proxy record: used from the next connection on. */
  adoptRequests(requests: Queue<SharedRequest | SharedHello>): void {
    if (this.#requests) requests.close(); // one copy is enough
    else this.#requests = requests;
  }

  /** Calls `method` on object `target` (0: the manager) in the manager process. */
  async call(target: number, method: string, args: unknown[]): Promise<unknown> {
    const wireArgs = this.#toWire(args, `${method}: args`);
    const link = await this.#connect();
    const id = this.#nextId++;
    const reply = new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    link.keepAlive(true);
    try {
      link.send({ id, target, method, args: wireArgs });
    } catch (error) {
      this.#pending.delete(id);
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

  close(): void {
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
      link.keepAlive(false);
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
export function clientFor(address: Address, authkey: Uint8Array, requests: Queue<SharedRequest | SharedHello> | null = null, options: LinkOptions = {}): ManagerClient {
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
