// A process's connection to a manager: one per manager address, shared by all its proxies.
// Calls are multiplexed over it by id, so one that waits (a lock's acquire) holds up no other.
// The connection keeps the process alive only while a call is in progress.

import { Client, type Address } from '../connection/listener.js';
import type { Connection } from '../connection/connection.js';
import { SocketTransport } from '../connection/socket-transport.js';
import { EOFError } from '../errors.js';
import { describeTask, isTaskRef } from '../tasks/task-ref.js';
import { TASK_MARK, type ManagerReply, type ManagerRequest } from './server.js';

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

export class ManagerClient {
  readonly address: Address;
  readonly #authkey: Uint8Array;
  #connection: Promise<Connection> | null = null;
  readonly #pending = new Map<number, PendingCall>();
  #nextId = 1;

  constructor(address: Address, authkey: Uint8Array) {
    this.address = address;
    this.#authkey = authkey;
  }

  /** Calls `method` on object `target` (0: the manager) in the manager process. */
  async call(target: number, method: string, args: unknown[]): Promise<unknown> {
    const connection = await this.#connect();
    const id = this.#nextId++;
    const reply = new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#keepAlive(connection, true);
    try {
      connection.send({ id, target, method, args: withTasksMarked(args) } satisfies ManagerRequest);
    } catch (error) {
      this.#pending.delete(id);
      throw error;
    }
    return reply;
  }

  close(): void {
    void this.#connection?.then((connection) => connection.close(), () => {});
    this.#connection = null;
  }

  #connect(): Promise<Connection> {
    this.#connection ??= Client({ address: this.address, authkey: this.#authkey }).then(
      (connection) => {
        void this.#receive(connection);
        return connection;
      },
      (error: unknown) => {
        this.#connection = null;
        throw error;
      },
    );
    return this.#connection;
  }

  async #receive(connection: Connection): Promise<void> {
    for (;;) {
      let reply: ManagerReply;
      try {
        reply = await connection.recv<ManagerReply>();
      } catch (error) {
        this.#connection = null;
        const gone = error instanceof EOFError ? new EOFError('manager: the manager process is gone (shut down, or its owner died).', { cause: error }) : error;
        for (const call of this.#pending.values()) call.reject(gone);
        this.#pending.clear();
        return;
      }
      const call = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if ('error' in reply) call?.reject(reply.error);
      else call?.resolve(reply.value);
      if (this.#pending.size === 0) this.#keepAlive(connection, false);
    }
  }

  #keepAlive(connection: Connection, keep: boolean): void {
    if (connection.closed) return;
    const transport = connection.transport;
    if (transport instanceof SocketTransport) transport.keepProcessAlive(keep);
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
