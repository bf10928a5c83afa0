// The resource tracker (Python's resource_tracker): one small process per process tree. Every
// process of the tree that creates a named segment connects and registers it; the tracker
// unlinks what is still registered once the tree's root process has died and no process
// holds a connection, so a segment is never leaked across runs, even after a SIGKILL.
// It receives its listening socket as fd 3 and the root's pid as its argument.

import { Server, type Socket } from 'node:net';
import { loadNative } from '../native/loader.js';

const rootPid = Number(process.argv[2]);
const CHECK_INTERVAL_MS = 200;
const registered = new Set<string>();
let connections = 0;

// The tree's Ctrl-C or SIGTERM must not stop the tracker before it cleaned up (as Python's).
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});

function isRootAlive(): boolean {
  try {
    process.kill(rootPid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function cleanUpAndExit(): void {
  const native = loadNative();
  const leaked = [...registered];
  for (const name of leaked) {
    try {
      native?.shmUnlink(name.startsWith('/') ? name : `/${name}`);
    } catch {
      // already unlinked by someone else
    }
  }
  // Pipe and queue chunks (mpc-…) live as long as the tree: freeing them is routine, not a leak.
  const userSegments = leaked.filter((name) => !name.startsWith('mpc-'));
  if (userSegments.length > 0) {
    process.stderr.write(
      `multiproc resource tracker: unlinked ${userSegments.length} shared memory segment(s) left at shutdown: ${userSegments.join(', ')}\n`,
    );
  }
  process.exit(0);
}

function serve(socket: Socket): void {
  connections += 1;
  let pending = '';
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => {
    pending += text;
    let end = pending.indexOf('\n');
    while (end >= 0) {
      const [verb, name] = [pending[0], pending.slice(2, end)];
      if (verb === 'R') registered.add(name);
      else if (verb === 'U') registered.delete(name);
      pending = pending.slice(end + 1);
      end = pending.indexOf('\n');
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    connections -= 1;
  });
}

const server = new Server(serve);
server.listen({ fd: 3 });
setInterval(() => {
  if (connections === 0 && !isRootAlive()) cleanUpAndExit();
}, CHECK_INTERVAL_MS);
