// How a proxy travels to another process of the tree (a child's arguments, a queue item): as
// its manager's address, its object id and type id, with the manager's request queue as a
// handle of its own, so that the receiver calls through shared memory too. The receiver
// rebuilds it on its own client of that manager. It never crosses a socket as a handle.
//
// The record carries the manager's authkey, so that the receiver reconnects with it and not
// with its own process's (a BaseManager({ authkey }) of its own): handle records travel only
// over the tree's transports, never over a socket. It also counts as one reference to the
// object from the moment it is encoded (the sender's transfer) until the receiver adopts it,
// so the sender may dispose of its own proxy at once.

import type { Address } from '../connection/listener.js';
import { InvalidStateError } from '../base/errors.js';
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
  readonly authkey: Uint8Array;
  /** Names the reference this record holds (the sender's transfer), which the receiver adopts. */
  readonly token: string;
}

/** Longer keys than this are not an authkey anyone uses: the record is refused. */
const MAX_AUTHKEY_BYTES = 4096;
const TOKEN = /^[0-9a-f]{24}$/;

function isAddress(address: unknown): address is Address {
  if (typeof address === 'string') return true;
  const { host, port } = (address ?? {}) as { host?: unknown; port?: unknown };
  return typeof host === 'string' && typeof port === 'number';
}

registerHandleType<ManagerProxy>({
  tag: 'manager-proxy',
  matches: (value): value is ManagerProxy => value instanceof ManagerProxy,
  encode: (proxy, destination, where): ProxyRecord => {
    // The codec refuses handles to peers before this point; the authkey must never go there.
    if (destination === 'peer') throw new TypeError(`${where}: a manager proxy cannot be sent over a socket; send its value instead.`);
    const { client, id, typeid, isDisposed } = proxyStateOf(proxy)!;
    if (isDisposed) throw new InvalidStateError(`${where}: this ${typeid} proxy was disposed; send a proxy that is still in use.`);
    if (!(client instanceof ManagerClient)) throw new TypeError(`${where}: a manager proxy without its client cannot be sent.`);
    const requests = client.requests ? encodeValue(client.requests, where, destination).value : null;
    return { address: client.address, id, typeid, requests, authkey: client.authkey, token: client.transfer(id) };
  },
  decode: (data) => {
    const { address, id, typeid, requests, authkey, token } = (data ?? {}) as ProxyRecord;
    if (!isAddress(address) || !isObjectId(id) || typeof typeid !== 'string') throw new TypeError('codec: a manager proxy record must hold an address, an object id and a type id.');
    if (!(authkey instanceof Uint8Array) || authkey.byteLength > MAX_AUTHKEY_BYTES || typeof token !== 'string' || !TOKEN.test(token)) {
      throw new TypeError(`codec: a manager proxy record must hold its manager's authkey (at most ${MAX_AUTHKEY_BYTES} bytes) and a transfer token.`);
    }
    const queue = requests instanceof Queue ? (requests as Queue<SharedMessage>) : null;
    const client = clientFor(address, authkey, queue);
    client.adopt(id, token);
    return makeProxy(client, id, typeid) as ManagerProxy;
  },
});
