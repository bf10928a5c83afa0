// How a proxy travels to another process of the tree (a child's arguments, a queue item): as
// its manager's address, its object id and type id, with the manager's request queue as a
// handle of its own, so that the receiver calls through shared memory too. The receiver
// rebuilds it on its own client of that manager. It never crosses a socket as a handle.

import type { Address } from '../connection/listener.js';
import { currentProcess } from '../process/identity.js';
import { Queue } from '../queue/queue.js';
import { encodeValue, registerHandleType } from '../tasks/codec.js';
import { clientFor, ManagerClient } from './client.js';
import { ManagerProxy, makeProxy, proxyStateOf } from './proxy.js';
import { isObjectId, type SharedMessage } from './wire.js';

interface ProxyRecord {
  readonly address: Address;
  readonly id: number;
  readonly typeid: string;
  /** The manager's request queue, as its own handle record (restored before decode). */
  readonly requests: unknown;
}

function isAddress(address: unknown): address is Address {
  if (typeof address === 'string') return true;
  const { host, port } = (address ?? {}) as { host?: unknown; port?: unknown };
  return typeof host === 'string' && typeof port === 'number';
}

registerHandleType<ManagerProxy>({
  tag: 'manager-proxy',
  matches: (value): value is ManagerProxy => value instanceof ManagerProxy,
  encode: (proxy, destination, where): ProxyRecord => {
    const { client, id, typeid } = proxyStateOf(proxy)!;
    const requests = client instanceof ManagerClient ? client.requests : null;
    return { address: client.address, id, typeid, requests: requests ? encodeValue(requests, where, destination).value : null };
  },
  decode: (data) => {
    const { address, id, typeid, requests } = (data ?? {}) as ProxyRecord;
    if (!isAddress(address) || !isObjectId(id) || typeof typeid !== 'string') throw new TypeError('codec: a manager proxy record must hold an address, an object id and a type id.');
    const queue = requests instanceof Queue ? (requests as Queue<SharedMessage>) : null;
    return makeProxy(clientFor(address, currentProcess().authkey, queue), id, typeid) as ManagerProxy;
  },
});
