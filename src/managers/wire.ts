// What a manager and its clients exchange, typed once for both sides. Everything here is plain
// data (SPEC §10, §14): a socket carries no handle, so a proxy travels as its object id and a
// function as a task descriptor, each under a marker key. The manager checks every request's
// shape before using it: a peer that holds the authkey may still send anything.
// Proxies, clients and the server all import this module, never each other: a process that
// only uses proxies loads no part of the server.

import type { Connection } from '../connection/connection.js';
import type { Address } from '../connection/listener.js';
import type { Queue } from '../queue/queue.js';
import type { ErrorRecord } from '../tasks/error-codec.js';
import type { TaskDescriptor } from '../tasks/task-ref.js';

/** A call: method `method` of object `target` (0: the manager itself). */
export interface ManagerRequest {
  readonly id: number;
  readonly target: number;
  readonly method: string;
  readonly args: unknown[];
}

/** A call through the shared request queue: which client's reply pipe gets the answer. */
export interface SharedRequest extends ManagerRequest {
  readonly client: string;
}

/** A client's first message on the shared request queue: its id and its reply pipe. */
export interface SharedHello {
  readonly hello: typeof SHARED_HELLO;
  readonly client: string;
  readonly replies: Connection;
}

/** What travels on a manager's shared request queue. */
export type SharedMessage = SharedRequest | SharedHello;

/** Limits of the socket link, passed to Client and Listener (see BaseManagerOptions). */
export interface LinkOptions {
  readonly handshakeTimeout?: number;
  readonly maxMessageSize?: number;
}

/** What the owner passes to the manager process (over the tree's transport: its arguments). */
export interface ServerSettings extends LinkOptions {
  readonly address: Address;
  readonly authkey: Uint8Array;
  readonly registered: Record<string, TaskDescriptor>;
  /** The owner's working directory: task references from clients resolve only under it. */
  readonly root: string;
  /** The request queue of the tree's clients (null without the native addon). */
  readonly requests: Queue<SharedMessage> | null;
  /** Run before serving (BaseManager.start's `initializer`), from the owner: resolved as the tree's own. */
  readonly initializer?: TaskDescriptor;
  readonly initArgs?: unknown[];
}

/** What the manager reports to its owner when its initializer throws (then it exits, before serving). */
export interface InitializerFailure {
  readonly initializerError: ErrorRecord;
}

/** What the manager reports to its owner once it listens. */
export interface StartReport {
  readonly address: Address;
}

/** A call's answer: its value, or its error; neither when the value is undefined. */
export type ManagerReply = { readonly id: number; readonly value?: unknown } | { readonly id: number; readonly error: unknown };

/** The key of a value that stands for an object the manager holds: `{ [PROXY_MARK]: { id, typeid } }`. */
export const PROXY_MARK = '__multiprocProxy';

/** The key of a value that stands for a function: `{ [TASK_MARK]: TaskDescriptor }`. */
export const TASK_MARK = '__multiprocTask';

/** The first message of a client on the shared request queue: its id and its reply pipe. */
export const SHARED_HELLO = 'multiproc-manager-shared';

/** Longest method name a request may carry. */
const MAX_METHOD_LENGTH = 256;

export interface ProxyMark {
  readonly id: number;
  readonly typeid: string;
}

export function isObjectId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The `{ id, typeid }` of a proxy marker, or null when `value` is not one. */
export function proxyMarkOf(value: unknown): ProxyMark | null {
  if (value === null || typeof value !== 'object' || !Object.hasOwn(value, PROXY_MARK)) return null;
  const mark = (value as Record<string, unknown>)[PROXY_MARK] as Partial<ProxyMark> | null;
  if (mark === null || typeof mark !== 'object' || !isObjectId(mark.id) || typeof mark.typeid !== 'string') return null;
  return { id: mark.id, typeid: mark.typeid };
}

export function markProxy(id: number, typeid: string): Record<string, ProxyMark> {
  return { [PROXY_MARK]: { id, typeid } };
}

/**
 * Why a received message is not a request, or null when it is one. A message whose `id` is
 * usable gets an error reply; one without closes that client.
 */
export function requestProblem(message: unknown): string | null {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return 'a request must be an object { id, target, method, args }';
  const { id, target, method, args } = message as Record<string, unknown>;
  if (!isObjectId(id)) return 'a request\'s "id" must be an integer >= 0';
  if (!isObjectId(target)) return 'a request\'s "target" must be an object id (an integer >= 0)';
  if (typeof method !== 'string' || method === '' || method.length > MAX_METHOD_LENGTH) return `a request's "method" must be a name of 1 to ${MAX_METHOD_LENGTH} characters`;
  if (!Array.isArray(args)) return 'a request\'s "args" must be an array';
  return null;
}

/** The id of a malformed request, when there is one to answer. */
export function replyableId(message: unknown): number | null {
  if (message === null || typeof message !== 'object') return null;
  const { id } = message as { id?: unknown };
  return isObjectId(id) ? id : null;
}
