// Calls through shared memory, for clients inside the manager's process tree: one request
// queue (made by the owner, passed in the manager Process's arguments, and carried in proxy
// records), a reply pipe per client (handed over on that queue in a hello). Nothing of this is
// reachable from a socket: a client outside the tree calls over the socket (server.ts).
// A reply pipe is two-way only so that the manager learns when its client is gone (closed, or
// its process or thread ended): its references are dropped then, as a socket client's are.

import type { Connection } from '../connection/connection.js';
import type { Queue } from '../queue/queue.js';
import type { ObjectTable } from './object-table.js';
import { waitBriefly } from './brief-wait.js';
import { Caller } from './caller.js';
import { type ManagerReply, requestProblem, replyableId, SHARED_HELLO, type SharedHello, type SharedMessage, type SharedRequest } from './wire.js';

/**
 * How long the manager waits for the next request in brief blocking waits (brief-wait.ts)
 * before it waits on its event loop: while calls come and go, the next one comes with its
 * sender's wake-up.
 */
const BRIEF_WAIT_BUDGET_MS = 50;
/** While requests keep coming, the event loop still turns this often (socket clients, timers). */
const TURN_EVERY_MS = 1;

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
    const requests = this.#requests;
    let turnedAt = performance.now();
    let hasTaken = false;
    for (;;) {
      try {
        while (!requests.empty()) {
          this.#take(table, requests.getNowait());
          hasTaken = true;
        }
        // The event loop turns (the socket clients' requests, timers, and the answers of calls
        // that waited and may have been settled by what was just taken) before this thread
        // blocks, and at least every TURN_EVERY_MS while requests keep coming.
        if ((hasTaken && table.callsInProgress > 0) || performance.now() - turnedAt >= TURN_EVERY_MS) {
          await new Promise(setImmediate);
          turnedAt = performance.now();
          hasTaken = false;
          continue;
        }
        hasTaken = false;
        if (await waitBriefly((timeoutMs) => requests.waitForItemSync(timeoutMs), BRIEF_WAIT_BUDGET_MS)) continue;
        this.#take(table, await requests.get());
        turnedAt = performance.now();
        hasTaken = true;
      } catch {
        if (this.#isClosed) return;
        await new Promise(setImmediate); // a message that could not be read: the next one may be fine
      }
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
    table.call(request, this.#callers.get(client)!, (answer) => this.#reply(client, answer));
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
