// Proxies: objects in this process that stand for objects in a manager process. Every method
// is a call to the manager and returns a Promise; a property of the managed object reads as an
// async method (`await barrier.parties()`). A lock's `hold()` and a condition's `waitFor()` run
// here on top of those calls (local-members.ts), as Python's proxies do. A proxy travels to children and grandchildren as
// its manager's address, object id and authkey, and reconnects there with that authkey; over
// the tree's own transports its record also carries the manager's request queue, so the child
// calls through shared memory too. To its own manager a proxy travels as its object id only
// (client.ts); it never crosses a socket as a handle. Its record is proxy-record.ts.
//
// Each proxy counts as one reference to its object in the manager (references.ts):
// `proxy[Symbol.dispose]()` (or `using`) drops it at once, and garbage collection drops it for a
// proxy never disposed. The manager frees an object once no proxy refers to it.

import { InvalidStateError } from '../base/errors.js';
import type { Address } from '../connection/listener.js';
import { localMember } from './local-members.js';
import type { Proxy as ProxyOf } from './proxy-types.js';

/** What a proxy of a `T` offers (the public name is `Proxy<T>`, proxy-types.ts). */
export type Proxied<T> = ProxyOf<T>;

/** What a proxy needs of its manager's client (client.ts), without loading it. */
export interface ProxyClient {
  readonly address: Address;
  call(target: number, method: string, args: unknown[]): Promise<unknown>;
  /** Drops one reference to object `id`; never rejects. */
  release(id: number): Promise<void>;
}

export interface ProxyState {
  readonly client: ProxyClient;
  readonly id: number;
  readonly typeid: string;
  /** Set once its reference was dropped (disposed or collected): its calls are refused. */
  isDisposed: boolean;
}

/** The target behind every proxy: its class marks proxies for the codec. */
export class ManagerProxy {}

const states = new WeakMap<object, ProxyState>();

/** The manager, object id and type id behind a proxy; null for anything else. */
export function proxyStateOf(value: object): ProxyState | null {
  return value instanceof ManagerProxy ? (states.get(value) ?? null) : null;
}

/** A proxy collected without being disposed drops its reference then. Holds states, never proxies. */
const collected = new FinalizationRegistry<ProxyState>((state) => {
  void release(state);
});

function release(state: ProxyState): Promise<void> {
  if (state.isDisposed) return Promise.resolve();
  state.isDisposed = true;
  collected.unregister(state);
  return state.client.release(state.id);
}

/** A call on the object, refused once this proxy dropped its reference. */
function callOn(state: ProxyState, method: string, args: unknown[]): Promise<unknown> {
  if (state.isDisposed) {
    return Promise.reject(new InvalidStateError(`${state.typeid} proxy: ${method}: this proxy was disposed (its reference to object ${state.id} was dropped); use a proxy that is still in use.`));
  }
  return state.client.call(state.id, method, args);
}

/** A proxy of object `id`, which takes over one reference to it (counted by the manager already). */
export function makeProxy<T>(client: ProxyClient, id: number, typeid: string): Proxied<T> {
  const state: ProxyState = { client, id, typeid, isDisposed: false };
  const target = new ManagerProxy();
  /** Each method made once, at its first use (calls are hot). */
  const methods = new Map<string, (...args: never[]) => unknown>();
  const proxy = new Proxy(target, {
    get(object, name) {
      if (typeof name === 'symbol') {
        if (name === Symbol.asyncIterator) return () => iterate(state);
        if (name === Symbol.dispose) return () => void release(state);
        if (name === Symbol.asyncDispose) return () => release(state);
        return Reflect.get(object, name);
      }
      if (name === 'then') return undefined; // not a thenable: `await proxy` is the proxy
      if (name === 'toString') return () => `<${typeid} proxy, object ${id} of the manager at ${JSON.stringify(client.address)}>`;
      if (name in object) return Reflect.get(object, name);
      let method = methods.get(name);
      if (method === undefined) {
        method = localMember(typeid, name, (member, args) => callOn(state, member, args)) ?? ((...args: unknown[]) => callOn(state, name, args));
        methods.set(name, method);
      }
      return method;
    },
  });
  states.set(proxy, state);
  collected.register(proxy, state, state);
  return proxy as unknown as Proxied<T>;
}

/** `for await`: an imap iterator's results one by one as they come; a list's items, fetched at once. */
async function* iterate(state: ProxyState): AsyncGenerator<unknown> {
  if (state.typeid !== 'ImapIterator') {
    yield* (await callOn(state, 'toArray', [])) as unknown[];
    return;
  }
  for (;;) {
    const step = (await callOn(state, 'next', [])) as IteratorResult<unknown>;
    if (step.done) return;
    yield step.value;
  }
}
