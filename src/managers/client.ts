// A process's connection to a manager: one per manager address, shared by all its proxies.
// Calls are multiplexed over it by id, so one that waits (a lock's acquire) holds up no other.
// It keeps the process alive only while a call is in progress.

import { Client, type Address } from '../connection/listener.js';
import type { Connection } from '../connection/connection.js';
import { Pipe } from '../connection/pipe.js';
import { loadNative } from '../native/loader.js';
import type { Queue } from '../queue/queue.js';
import { SocketTransport } from '../connection/socket-transport.js';
import { EOFError } from '../errors.js';
import { describeTask, isTaskRef } from '../tasks/task-ref.js';
import { makeProxy } from './proxy.js';
import { type ManagerReply, type ManagerRequest, PROXY_MARK, SHARED_HELLO, type SharedRequest, TASK_MARK } from './server.js';

/**
 * Functions among a call's arguments (a Pool proxy's map(fn, ...)) travel as task descriptors,
 * which the manager resolves as a pool would: registered ones by name, inline ones by source.
 */
function withTasksMarked(args: unknown[]): unknown[] {
  return args.map((arg, index) =>
    typeof arg === 'function' || isTaskRef(arg) ? { [TASK_MARK]: describeTask(`manager call: args[${index}]`, arg) } : arg,
  );
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** How calls travel: over the socket, or (with the native addon) through shared memory. */
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
      const transport = connection.closed ? null : connection.transport;
      if (transport instanceof SocketTransport) transport.keepProcessAlive(keep);
    },
    close: () => connection.close(),
  };
}

/**
 * After authenticating over the socket, the client hands the manager a pipe for its replies
 * and gets the manager's request queue: a call then costs a shared-memory hand-off (µs), not an
 * event-loop round trip over a socket.
 */
async function sharedLink(connection: Connection): Promise<Link> {
  const [replies, theirs] = Pipe(false);
  connection.send({ hello: SHARED_HELLO, replies: theirs });
  const { requests, client } = await connection.recv<{ requests: Queue<SharedRequest>; client: number }>();
  theirs.close();
  connection.close();
  return {
    send: (request) => requests.putNowait({ ...request, client }),
    recv: () => replies.recv<ManagerReply>(),
    keepAlive: () => {}, // a pipe holds the process only while a recv waits, and one waits only during calls
    close: () => {
      replies.close();
      requests.close();
    },
  };
}

export class ManagerClient {
  readonly address: Address;
  readonly #authkey: Uint8Array;
  #link: Promise<Link> | null = null;
  readonly #pending = new Map<number, PendingCall>();
  #nextId = 1;
  #isReceiving = false;

  constructor(address: Address, authkey: Uint8Array) {
    this.address = address;
    this.#authkey = authkey;
  }

  /** Calls `method` on object `target` (0: the manager) in the manager process. */
  async call(target: number, method: string, args: unknown[]): Promise<unknown> {
    const link = await this.#connect();
    const id = this.#nextId++;
    const reply = new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    link.keepAlive(true);
    try {
      link.send({ id, target, method, args: withTasksMarked(args) });
    } catch (error) {
      this.#pending.delete(id);
      throw error;
    }
    if (!this.#isReceiving) void this.#receive(link);
    return reply;
  }

  close(): void {
    void this.#link?.then((link) => link.close(), () => {});
    this.#link = null;
  }

  #connect(): Promise<Link> {
    this.#link ??= Client({ address: this.address, authkey: this.#authkey }).then(
      (connection) => (loadNative() ? sharedLink(connection) : socketLink(connection)),
    );
    this.#link.catch(() => {
      this.#link = null;
    });
    return this.#link;
  }

  /** A result the manager kept (an AsyncResult, an imap iterator) arrives as a proxy to it. */
  #proxyIfKept(value: unknown): unknown {
    if (value === null || typeof value !== 'object' || !(PROXY_MARK in value)) return value;
    const { id, typeid } = (value as Record<string, { id: number; typeid: string }>)[PROXY_MARK]!;
    return makeProxy(this, id, typeid);
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
        const call = this.#pending.get(reply.id);
        this.#pending.delete(reply.id);
        if ('error' in reply) call?.reject(reply.error);
        else call?.resolve(this.#proxyIfKept(reply.value));
      }
      link.keepAlive(false);
    } finally {
      this.#isReceiving = false;
    }
  }
}

const clients = new Map<string, ManagerClient>();

/** This process's client of the manager at `address`. */
export function clientFor(address: Address, authkey: Uint8Array): ManagerClient {
  const key = `${JSON.stringify(address)} ${Buffer.from(authkey).toString('hex')}`;
  let client = clients.get(key);
  if (!client) {
    client = new ManagerClient(address, authkey);
    clients.set(key, client);
  }
  return client;
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
