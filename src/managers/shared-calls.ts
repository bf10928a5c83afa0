// Calls through shared memory, for clients inside the manager's process tree: one request
// queue (made by the owner, passed in the manager Process's arguments, and carried in proxy
// records), a reply pipe per client (handed over on that queue in a hello). Nothing of this is
// reachable from a socket: a client outside the tree calls over the socket (server.ts).
// A reply pipe is two-way only so that the manager learns when its client is gone (closed, or
// its process or thread ended): its references are dropped then, as a socket client's are.

import type { Connection } from '../connection/connection.js';
import type { Queue } from '../queue/queue.js';
import type { ObjectTable } from './object-table.js';
import { Caller } from './caller.js';
import { type ManagerReply, requestProblem, replyableId, SHARED_HELLO, type SharedHello, type SharedMessage, type SharedRequest } from './wire.js';

function isHello(message: unknown): message is SharedHello {
  return message !== null && typeof message === 'object' && (message as { hello?: unknown }).hello === SHARED_HELLO;
}

export class SharedCalls {
  readonly #requests: Queue<SharedMessage>;
  readonly #replies = new Map<string, Connection>();
  /**
   * Who each client is (its locks, its references), made here at its hello. A request names its
   * client by the random id that client chose (96 bits, seen only in the tree's shared memory,
   * which trusts itself: SPEC §14); an unknown id is not answered.
   */
  readonly #callers = new Map<string, Caller>();
  #table: ObjectTable | null = null;
  #isClosed = false;

  constructor(requests: Queue<SharedMessage>) {
    this.#requests = requests;
  }

  async serve(table: ObjectTable): Promise<void> {
    this.#table = table;
    for (;;) {
      try {
        this.#take(table, await this.#requests.get());
        while (!this.#requests.empty()) this.#take(table, this.#requests.getNowait());
      } catch {
        if (this.#isClosed) return;
        await new Promise(setImmediate); // a message that could not be read: the next one may be fine
      }
      // Let the answers go out before waiting again: the wait starts with a spin that would hold them.
      await new Promise(setImmediate);
    }
  }

  close(): void {
    this.#isClosed = true;
    for (const replies of this.#replies.values()) replies.close();
    this.#replies.clear();
    this.#requests.close();
  }

  #take(table: ObjectTable, message: unknown): void {
    if (isHello(message)) {
      this.#welcome(message);
      return;
    }
    const client = (message as { client?: unknown } | null)?.client;
    if (typeof client !== 'string' || !this.#replies.has(client)) return; // no one to answer
    const problem = requestProblem(message);
    if (problem) {
      const id = replyableId(message);
      if (id !== null) this.#reply(client, { id, error: new TypeError(`manager: ${problem}.`) });
      return;
    }
    const request = message as SharedRequest;
    table.call(request, this.#callers.get(client)!).then(
      (value) => this.#reply(client, { id: request.id, value }),
      (error: unknown) => this.#reply(client, { id: request.id, error }),
    );
  }

  #welcome(hello: SharedHello): void {
    const { client, replies } = hello;
    if (typeof client !== 'string' || typeof replies?.send !== 'function') return;
    if (this.#replies.has(client)) this.#forget(client);
    this.#replies.set(client, replies);
    this.#callers.set(client, new Caller());
    this.#reply(client, { id: 0, value: 'welcome' });
    void this.#watch(client, replies);
  }

  /** The client never sends on its reply pipe: a recv ends only when the client is gone. */
  async #watch(client: string, replies: Connection): Promise<void> {
    try {
      for (;;) await replies.recv();
    } catch {
      if (this.#replies.get(client) === replies) this.#forget(client);
    }
  }

  #reply(client: string, reply: ManagerReply): void {
    const replies = this.#replies.get(client);
    if (!replies) return;
    try {
      replies.send(reply);
      return;
    } catch (error) {
      // A value that cannot be sent (an object of a registered type, say): the caller learns why.
      if ('value' in reply && !replies.closed) this.#reply(client, { id: reply.id, error });
      else this.#forget(client);
    }
  }

  #forget(client: string): void {
    this.#replies.get(client)?.close();
    this.#replies.delete(client);
    const caller = this.#callers.get(client);
    this.#callers.delete(client);
    if (caller) this.#table?.release(caller);
  }
}
