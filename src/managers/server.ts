// The manager process (Python's multiprocessing.managers.Server): it holds shared objects
// (object-table.ts) and serves calls on them to authenticated socket connections, and to the
// tree's own clients through shared memory (shared-calls.ts). It tells its owner where it
// listens over the Process control channel, never over a socket someone else could reach.
// No client can stop it: a malformed request gets an error reply (or, without a usable id,
// closes that one connection), a call that throws is that call's error.

import type { Connection } from '../connection/connection.js';
import { Listener } from '../connection/listener.js';
import { reportToParent } from '../process/parent-report.js';
import { errorToRecord } from '../tasks/error-codec.js';
import { resolveTask } from '../tasks/resolve-task.js';
import { register } from '../tasks/task-ref.js';
import { Caller } from './caller.js';
import { ObjectTable } from './object-table.js';
import { SharedCalls } from './shared-calls.js';
import { type InitializerFailure, type ManagerReply, type ManagerRequest, requestProblem, replyableId, type ServerSettings, type StartReport } from './wire.js';

/** Python's `_run_server`: the initializer runs before the server exists. */
async function runInitializer(settings: ServerSettings): Promise<void> {
  if (!settings.initializer) return;
  try {
    const initializer = await resolveTask(settings.initializer);
    await initializer(...(settings.initArgs ?? []));
  } catch (error) {
    reportToParent({ initializerError: errorToRecord(error) } satisfies InitializerFailure);
    throw error; // the manager process ends here, with its stack on stderr as Python's does
  }
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

/** One client per connection (Python's thread per connection): who its calls come from. */
async function serveConnection(connection: Connection, table: ObjectTable): Promise<void> {
  const caller = new Caller();
  try {
    await serveRequests(connection, table, caller);
  } finally {
    table.release(caller); // the client is gone: so are its locks and its references
  }
}

async function serveRequests(connection: Connection, table: ObjectTable, caller: Caller): Promise<void> {
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
    table.call(request, caller, (answer) => reply(connection, answer));
  }
}

/** The manager process's main: listens, reports where to its owner, serves until a shutdown call. */
export async function serveManager(settings: ServerSettings): Promise<void> {
  const { address, authkey, handshakeTimeout, maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE } = settings;
  await runInitializer(settings);
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
