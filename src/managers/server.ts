// The manager process (Python's multiprocessing.managers.Server): it holds shared objects
// (object-table.ts) and serves calls on them to authenticated socket connections, and to the
// tree's own clients through shared memory (shared-calls.ts). It tells its owner where it
// listens over the Process control channel, never over a socket someone else could reach.
// No client can stop it: a malformed request gets an error reply (or, without a usable id,
// closes that one connection), a call that throws is that call's error.

import type { Connection } from '../connection/connection.js';
import { type Address, Listener } from '../connection/listener.js';
import { reportToParent } from '../process/parent-report.js';
import type { Queue } from '../queue/queue.js';
import { register, type TaskDescriptor } from '../tasks/task-ref.js';
import type { LinkOptions, SharedHello } from './client.js';
import { ObjectTable } from './object-table.js';
import { SharedCalls } from './shared-calls.js';
import { type ManagerReply, type ManagerRequest, requestProblem, replyableId, type SharedRequest } from './wire.js';

/** What the owner passes to the manager process (over the tree's transport: its arguments). */
export interface ServerSettings extends LinkOptions {
  readonly address: Address;
  readonly authkey: Uint8Array;
  readonly registered: Record<string, TaskDescriptor>;
  /** The owner's working directory: task references from clients resolve only under it. */
  readonly root: string;
  /** The request queue of the tree's clients (null without the native addon). */
  readonly requests: Queue<SharedRequest | SharedHello> | null;
}

/** What the manager reports to its owner once it listens. */
export interface StartReport {
  readonly address: Address;
}

/** The default maxMessageSize (256 MiB), SPEC §14. */
export const DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024 * 1024;

/** Sends a reply; a value that cannot travel is answered with the reason instead. */
function reply(connection: Connection, message: ManagerReply): void {
  try {
    connection.send(message);
  } catch (error) {
    if (!('value' in message) || connection.closed) return; // the client left before its answer
    reply(connection, { id: message.id, error });
  }
}

async function serveConnection(connection: Connection, table: ObjectTable): Promise<void> {
  for (;;) {
    let message: unknown;
    try {
      message = await connection.recv();
    } catch (error) {
      if (connection.closed || (error as { code?: string })?.code !== 'ERR_INVALID_ARG_VALUE') return connection.close(); // gone, or over maxMessageSize
      continue; // a frame that held a handle: refused by the connection, which stays usable
    }
    const problem = requestProblem(message);
    if (problem) {
      const id = replyableId(message);
      if (id === null) return connection.close(); // nothing to answer: this one client is dropped
      reply(connection, { id, error: new TypeError(`manager: ${problem}.`) });
      continue;
    }
    const request = message as ManagerRequest;
    // Each call runs on its own: a waiting acquire() does not hold up the calls behind it.
    table.call(request).then(
      (value) => reply(connection, { id: request.id, value }),
      (error: unknown) => reply(connection, { id: request.id, error }),
    );
  }
}

/** The manager process's main: listens, reports where to its owner, serves until a shutdown call. */
export async function serveManager(settings: ServerSettings): Promise<void> {
  const { address, authkey, handshakeTimeout, maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE } = settings;
  const listener = new Listener({ address, authkey, maxMessageSize, ...(handshakeTimeout === undefined ? {} : { handshakeTimeout }) });
  await listener.listening;
  const table = new ObjectTable(settings.registered, { root: settings.root, maxBytes: maxMessageSize });
  const shared = settings.requests ? new SharedCalls(settings.requests) : null;
  void shared?.serve(table);
  reportToParent({ address: listener.address } satisfies StartReport);
  const accepting = (async () => {
    for (;;) {
      const next = await Promise.race([listener.accept().catch((error: unknown) => error), table.stopped.then(() => null)]);
      if (next === null) return;
      if (next instanceof Error) continue; // a client with a wrong authkey, say: refused, the others go on
      void serveConnection(next as Connection, table);
    }
  })();
  await table.stopped;
  listener.close();
  await accepting;
  process.exit(0); // connections still open would keep the manager alive
}

register(import.meta.url, { serveManager });
