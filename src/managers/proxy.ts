// Proxies: objects in this process that stand for objects in a manager process. Every method
// is a call to the manager and returns a Promise; a property of the managed object reads as an
// async method (`await barrier.parties()`). A proxy travels to children and grandchildren as
// its manager's address and object id, and reconnects there with the process's authkey; over
// the tree's own transports its record also carries the manager's request queue, so the child
// calls through shared memory too. To its own manager a proxy travels as its object id only
// (client.ts); it never crosses a socket as a handle.

import type { Address } from '../connection/listener.js';
import { currentProcess } from '../base/identity.js';
import { Queue } from '../queue/queue.js';
import { encodeValue, registerHandleType } from '../tasks/codec.js';
import { clientFor, type ManagerClient, type SharedHello } from './client.js';
import { isObjectId, type SharedRequest } from './wire.js';

/** What a proxy of a `T` offers: each method async; each property an async getter method. */
export type Proxied<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : () => Promise<T[K]>;
};

interface ProxyState {
  readonly client: ManagerClient;
  readonly id: number;
  readonly typeid: string;
}

/** The target behind every proxy: its class marks proxies for the codec. */
export class ManagerProxy {}

const states = new WeakMap<object, ProxyState>();

/** The manager, object id and type id behind a proxy; null for anything else. */
export function proxyStateOf(value: object): ProxyState | null {
  return value instanceof ManagerProxy ? (states.get(value) ?? null) : null;
}

export function makeProxy<T>(client: ManagerClient, id: number, typeid: string): Proxied<T> {
  const state: ProxyState = { client, id, typeid };
  const target = new ManagerProxy();
  const proxy = new Proxy(target, {
    get(object, name) {
      if (typeof name === 'symbol') {
        if (name === Symbol.asyncIterator) return () => iterate(state);
        return Reflect.get(object, name);
      }
      if (name === 'then') return undefined; // not a thenable: `await proxy` is the proxy
      if (name === 'toString') return () => `<${typeid} proxy, object ${id} of the manager at ${JSON.stringify(client.address)}>`;
      if (name in object) return Reflect.get(object, name);
      return (...args: unknown[]) => client.call(id, name, args);
    },
  });
  states.set(proxy, state);
  return proxy as unknown as Proxied<T>;
}

/** `for await`: an imap iterator's results one by one as they come; a list's items, fetched at once. */
async function* iterate(state: ProxyState): AsyncGenerator<unknown> {
  if (state.typeid !== 'ImapIterator') {
    yield* (await state.client.call(state.id, 'toArray', [])) as unknown[];
    return;
  }
  for (;;) {
    const step = (await state.client.call(state.id, 'next', [])) as IteratorResult<unknown>;
    if (step.done) return;
    yield step.value;
  }
}

interface ProxyRecord {
  readonly address: Address;
  readonly id: number;
  readonly typeid: string;
  /** The manager's request queue, as its own handle record (restored before decode). */
  readonly requests: unknown;
}

registerHandleType<ManagerProxy>({
  tag: 'manager-proxy',
  matches: (value): value is ManagerProxy => value instanceof ManagerProxy,
  encode: (proxy, destination, where): ProxyRecord => {
    const state = states.get(proxy)!;
    const requests = state.client.requests;
    return { address: state.client.address, id: state.id, typeid: state.typeid, requests: requests ? encodeValue(requests, where, destination).value : null };
  },
  decode: (data) => {
    const { address, id, typeid, requests } = (data ?? {}) as ProxyRecord;
    const isAddress = typeof address === 'string' || (address !== null && typeof address === 'object' && typeof address.host === 'string' && typeof address.port === 'number');
    if (!isAddress || !isObjectId(id) || typeof typeid !== 'string') throw new TypeError('codec: a manager proxy record must hold an address, an object id and a type id.');
    const queue = requests instanceof Queue ? (requests as Queue<SharedRequest | SharedHello>) : null;
    return makeProxy(clientFor(address, currentProcess().authkey, queue), id, typeid) as ManagerProxy;
  },
});
