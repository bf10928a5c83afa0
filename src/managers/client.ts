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
import { decodeMessage } from '../connection/message.js';
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
import { waitBriefly } from './brief-wait.js';

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * How long a client of the manager's own tree waits for an answer in brief blocking waits
 * (brief-wait.ts) before it waits on its event loop. A call's answer usually comes within tens
 * of microseconds; one that takes longer (an acquire() that waits for a release) is then waited
 * for on the event loop, and so is the next call of this client, until an answer comes quickly again.
 */
const BRIEF_WAIT_BUDGET_MS = 20;

/** A call, ready to send: what the manager runs, and who waits for its answer. */
interface Outgoing {
  readonly request: ManagerRequest;
  readonly call: PendingCall;
}

/** How calls travel: over the socket, or (inside the tree) through shared memory. */
interface Link {
  /** The calls sent on this link and not answered yet, by id. */
  readonly pending: Map<number, PendingCall>;
  /** True while a loop takes this link's replies. */
  isReceiving: boolean;
  send(request: ManagerRequest): void;
  /** A reply already here, or null: at once, without waiting (socket links answer null: their replies come through recv()). */
  takeReply(): ManagerReply | null;
  /** Whether waitForReplySync can wait: only inside the tree (a socket's replies come through the event loop). */
  readonly canWaitSync: boolean;
  /** Blocks this thread until a reply may be there, `timeoutMs` at most; true when one is. */
  waitForReplySync(timeoutMs: number): boolean;
  recv(): Promise<ManagerReply>;
  close(): void;
}

function socketLink(connection: Connection): Link {
  // The socket stays open between calls but never holds the process: a call in progress does (call()).
  const transport = transportOf(connection);
  if (transport instanceof SocketTransport) transport.keepProcessAlive(false);
  return {
    pending: new Map(),
    isReceiving: false,
    send: (request) => connection.send(request),
    takeReply: () => null,
    canWaitSync: false,
    waitForReplySync: () => false,
    recv: () => connection.recv<ManagerReply>(),
    close: () => connection.close(),
  };
}

/** How long a client waits for the manager's welcome before it checks that the manager still listens. */
const WELCOME_CHECK_MS = 1000;

/** What a client needs to reach its manager over the socket. */
interface Reach {
  readonly address: Address;
  readonly authkey: Uint8Array;
  readonly options: LinkOptions;
}

/** Resolves if the manager accepts a socket connection; rejects with EOFError when it is gone. */
async function checkListening({ address, authkey, options }: Reach): Promise<void> {
  let connection: Connection;
  try {
    connection = await Client({ address, authkey, ...options });
  } catch (error) {
    throw new EOFError(`manager: the manager at ${JSON.stringify(address)} is gone (it does not accept connections any more).`, { cause: error });
  }
  connection.close();
}

/**
 * Calls through the manager's request queue, replies through a pipe whose other end this client
 * hands over on that queue: a call costs a shared-memory hand-off (µs), not a socket round trip.
 * A manager that died leaves the queue unread: its welcome never comes, its socket refuses.
 */
async function sharedLink(requests: Queue<SharedMessage>, reach: Reach): Promise<Link> {
  const client = randomBytes(12).toString('hex');
  // Two-way, though the manager only sends on it: its end sees EOF when this client is gone.
  const [replies, theirs] = Pipe(true);
  try {
    requests.putNowait({ hello: SHARED_HELLO, client, replies: theirs });
    while (!(await replies.poll(WELCOME_CHECK_MS))) await checkListening(reach);
    await replies.recv(); // the manager holds its end now
  } catch (error) {
    replies.close();
    throw error;
  } finally {
    theirs.close();
  }
  const transport = transportOf(replies);
  return {
    pending: new Map(),
    isReceiving: false,
    send: ({ id, target, method, args }) => requests.putNowait({ id, target, method, args, client }),
    takeReply: () => {
      if (replies.closed) throw new InvalidStateError('manager: this client was closed (its manager was shut down).');
      const record = transport.tryRead();
      if (record === null || record === 'eof') return null; // EOF is for recv() to report
      return decodeMessage(record.kind, record.bytes, 'manager reply') as ManagerReply;
    },
    canWaitSync: transport.waitForRecordSync !== undefined,
    waitForReplySync: (timeoutMs) => !replies.closed && transport.waitForRecordSync!(timeoutMs),
    recv: () => replies.recv<ManagerReply>(),
    close: () => replies.close(),
  };
}

export class ManagerClient implements ProxyClient {
  readonly address: Address;
  readonly #authkey: Uint8Array;
  #requests: Queue<SharedMessage> | null;
  readonly #options: LinkOptions;
  /** The link, once made; null before, while it is being made, and once it was lost. */
  #link: Link | null = null;
  /** The link being made (calls meanwhile wait in #unsent, in order). */
  #linking: Promise<Link> | null = null;
  /** Calls made while there was no link: sent in order once there is one. */
  #unsent: Outgoing[] = [];
  #nextId = 1;
  /** Calls made and not settled yet, on any link or none. */
  #inProgress = 0;
  #isClosed = false;
  /** False after an answer took longer than BRIEF_WAIT_BUDGET_MS: the next wait is on the event loop. */
  #waitsBriefly = true;
  /** Holds the event loop while calls are in progress (one hold for all of them). */
  #releaseLoop: (() => void) | null = null;

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

  /**
   * Calls `method` on object `target` (0: the manager) in the manager process. Calls made one
   * after the other without waiting go out back to back, in order; each settles with its own
   * answer (or error) whenever that comes.
   */
  call(target: number, method: string, args: unknown[]): Promise<unknown> {
    let wireArgs: unknown[];
    try {
      wireArgs = this.#toWire(args, () => `${method}: args`);
    } catch (error) {
      return Promise.reject(error);
    }
    const request: ManagerRequest = { id: this.#nextId++, target, method, args: wireArgs };
    let call: PendingCall | undefined;
    const reply = new Promise((resolve, reject) => {
      call = { resolve, reject };
    });
    // The process stays alive until the answer is in, even if nothing else keeps it running.
    this.#inProgress++;
    this.#releaseLoop ??= holdEventLoop();
    const outgoing: Outgoing = { request, call: call! };
    if (this.#link !== null && this.#unsent.length === 0) this.#send(this.#link, outgoing);
    else {
      this.#unsent.push(outgoing);
      this.#connect();
    }
    return reply;
  }

  /** Creates an object of type `typeid` in the manager; returns its object id. Errors name `<typeid>: args[i]`. */
  async create(typeid: string, args: unknown[]): Promise<number> {
    const wireArgs = this.#toWire(args, () => `${typeid}: args`); // markers pass through call()'s own walk unchanged
    return (await this.call(0, 'create', [typeid, wireArgs])) as number;
  }

  /**
   * Drops one reference to object `id` (a proxy disposed or collected). Never rejects, and never
   * opens a link: a manager already gone has nothing left to free.
   */
  release(id: number): Promise<void> {
    // References belong to a link: one that was lost (the manager gone, or this client closed)
    // was released with all it held, and a new link holds none.
    if (this.#isClosed || (this.#link === null && this.#linking === null)) return Promise.resolve();
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
    const link = this.#link;
    this.#link = null;
    link?.close(); // its calls in progress reject (#receive)
    void this.#linking?.then(
      (made) => made.close(),
      () => {},
    );
    this.#linking = null;
    this.#failUnsent(new InvalidStateError('manager: the call was not sent: the client was closed (its manager was shut down).'));
    this.#requests?.close();
    this.#requests = null;
  }

  /**
   * Arguments as plain data: a proxy of this manager becomes its object id (the manager looks
   * it up, Python's RebuildProxy), a function its task descriptor; a proxy of another manager
   * is refused here, naming where it sits.
   */
  #toWire(args: unknown[], where: () => string): unknown[] {
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

  /** Sends one request; one that cannot be sent (a value that cannot travel) fails alone. */
  #send(link: Link, { request, call }: Outgoing): void {
    try {
      link.send(request);
    } catch (error) {
      this.#reject(call, error);
      return;
    }
    link.pending.set(request.id, call);
    if (!link.isReceiving) {
      link.isReceiving = true;
      // After the calls made in this same turn went out: one wait then serves them all.
      queueMicrotask(() => void this.#receive(link));
    }
  }

  #resolve(call: PendingCall, value: unknown): void {
    this.#done();
    call.resolve(value);
  }

  #reject(call: PendingCall, error: unknown): void {
    this.#done();
    call.reject(error);
  }

  /** One call less in progress: the last one lets the event loop go. */
  #done(): void {
    if (--this.#inProgress > 0 || this.#releaseLoop === null) return;
    this.#releaseLoop();
    this.#releaseLoop = null;
  }

  /**
   * The manager's request queue leads nowhere any more (its reader is gone): later calls try the
   * socket, which a manager that died refuses at once, instead of waiting for a welcome.
   */
  #leaveTree(): void {
    this.#requests?.close();
    this.#requests = null;
  }

  #failUnsent(error: unknown): void {
    const unsent = this.#unsent;
    this.#unsent = [];
    for (const { call } of unsent) this.#reject(call, error);
  }

  /** Makes the link (once), then sends what waited for it, in order. */
  #connect(): void {
    if (this.#linking) return;
    const requests = this.#requests;
    const reach: Reach = { address: this.address, authkey: this.#authkey, options: this.#options };
    const linking = requests ? sharedLink(requests, reach) : Client({ address: this.address, authkey: this.#authkey, ...this.#options }).then(socketLink);
    this.#linking = linking;
    linking.then(
      (link) => {
        if (this.#linking !== linking) return; // closed meanwhile
        this.#linking = null;
        this.#link = link;
        const unsent = this.#unsent;
        this.#unsent = [];
        for (const outgoing of unsent) this.#send(link, outgoing);
      },
      (error: unknown) => {
        if (this.#linking !== linking) return; // closed meanwhile: its calls were failed then
        this.#linking = null;
        if (error instanceof EOFError) this.#leaveTree();
        this.#failUnsent(error);
      },
    );
  }

  /**
   * Takes replies while calls are in progress (then nothing here waits, and the process may
   * exit): those already there, then (inside the tree) a short blocking wait for the next,
   * then a wait on the event loop.
   */
  async #receive(link: Link): Promise<void> {
    const { pending } = link;
    try {
      let hasSettled = false;
      while (pending.size > 0) {
        const ready = link.takeReply();
        if (ready !== null) {
          this.#settle(pending, ready);
          hasSettled = true;
          continue;
        }
        if (hasSettled) {
          // What the settled calls' callers do next runs first: it may send the call the manager waits for.
          hasSettled = false;
          await null;
          continue;
        }
        if (this.#waitsBriefly && link.canWaitSync) {
          if (await waitBriefly((timeoutMs) => link.waitForReplySync(timeoutMs), BRIEF_WAIT_BUDGET_MS)) continue;
          this.#waitsBriefly = false;
        }
        const startedAt = performance.now();
        const reply = await link.recv();
        this.#waitsBriefly = performance.now() - startedAt < BRIEF_WAIT_BUDGET_MS;
        this.#settle(pending, reply);
      }
    } catch (error) {
      if (this.#link === link) this.#link = null;
      link.close();
      if (error instanceof EOFError) this.#leaveTree();
      const gone = error instanceof EOFError ? new EOFError('manager: the manager process is gone (shut down, or its owner died).', { cause: error }) : error;
      const calls = [...pending.values()];
      pending.clear();
      for (const call of calls) this.#reject(call, gone);
    } finally {
      link.isReceiving = false;
    }
  }

  #settle(pending: Map<number, PendingCall>, reply: ManagerReply): void {
    const call = pending.get(reply?.id);
    if (!call) return;
    pending.delete(reply.id);
    if ('error' in reply) this.#reject(call, reply.error);
    else {
      let value: unknown;
      try {
        value = this.#fromWire((reply as { value?: unknown }).value);
      } catch (error) {
        this.#reject(call, error);
        return;
      }
      this.#resolve(call, value);
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
