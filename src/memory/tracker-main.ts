// The resource tracker (Python's resource_tracker): one small process per process tree. Every
// process of the tree that creates a named segment connects and registers it; the tracker
// unlinks what is still registered once the tree's root process has died and no process
// holds a connection, so a segment is never leaked across runs, even after a SIGKILL.
// It receives its listening socket as fd 3 and the root's pid as its argument.
//
// Its address is abstract (no file, so no permissions) and listed in /proc/net/unix for every
// user to see, so it trusts nothing it reads: a peer of another user is closed before a byte is
// read (SO_PEERCRED), never counted, so it cannot delay the cleanup; a line longer than any
// registration drops its peer; only names SharedMemory itself accepts are ever unlinked.

import { getLogger } from '../base/log.js';
import { Socket } from 'node:net';
import type { NativeBinding } from '../native/binding.js';
import { loadNative } from '../native/loader.js';
import { isChunkName, isSegmentName } from './segment-names.js';

const rootPid = Number(process.argv[2]);
const CHECK_INTERVAL_MS = 200;
/** After accepting failed (EMFILE...), accepting resumes this much later rather than spinning. */
const ACCEPT_RETRY_MS = 200;
/** The longest line a client sends: "R " or "U ", a name (at most 201 bytes), "\n". */
const LONGEST_LINE_BYTES = 256;

// Only a process with the addon starts a tracker (it needs it to listen), so the tracker has it.
const native = loadNative() as NativeBinding;
const ownUid = process.geteuid?.() ?? -1;
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
  const leaked = [...registered];
  for (const name of leaked) {
    try {
      native.shmUnlink(name.startsWith('/') ? name : `/${name}`);
    } catch {
      // already unlinked by someone else
    }
  }
  getLogger().info(`resource tracker: the tree of pid ${rootPid} ended; unlinked ${leaked.length} shared memory segment(s) it left`);
  // Pipe and queue chunks live as long as the tree: freeing them is routine, not a leak.
  const userSegments = leaked.filter((name) => !isChunkName(name));
  if (userSegments.length > 0) {
    process.stderr.write(
      `multiproc resource tracker: unlinked ${userSegments.length} shared memory segment(s) left at shutdown: ${userSegments.join(', ')}\n`,
    );
  }
  process.exit(0);
}

/** One line from a peer: "R name" registers, "U name" forgets; anything else is ignored. */
function handleLine(line: string): void {
  const [verb, name] = [line.slice(0, 2), line.slice(2)];
  if (!isSegmentName(name)) return; // never unlink what SharedMemory could not have made ("../x", "a/b")
  if (verb === 'R ') registered.add(name);
  else if (verb === 'U ') registered.delete(name);
}

/** True when the peer runs as this tracker's user (as the kernel saw it at connect()). */
function isOwnUser(fd: number): boolean {
  try {
    return native.peerCredentials(fd).uid === ownUid;
  } catch {
    return false; // gone already
  }
}

function serve(fd: number): void {
  if (!isOwnUser(fd)) {
    native.closeFd(fd);
    return;
  }
  let socket: Socket;
  try {
    socket = new Socket({ fd, readable: true, writable: false });
  } catch {
    native.closeFd(fd); // not a stream socket after all: a tracker that threw here would leak everything
    return;
  }
  connections += 1;
  let pending = '';
  socket.setEncoding('latin1'); // one character per byte: lengths below are bytes
  socket.on('data', (text: string) => {
    pending += text;
    let start = 0;
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n', start)) {
      if (end - start <= LONGEST_LINE_BYTES) handleLine(pending.slice(start, end));
      start = end + 1;
    }
    pending = pending.slice(start);
    if (pending.length > LONGEST_LINE_BYTES) socket.destroy(); // no registration is this long
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    connections -= 1;
  });
}

function acceptConnections(): void {
  native.unixAcceptEach(3, (accepted) => {
    if (typeof accepted === 'number') serve(accepted);
    else setTimeout(acceptConnections, ACCEPT_RETRY_MS);
  });
}

acceptConnections();
setInterval(() => {
  if (connections === 0 && !isRootAlive()) cleanUpAndExit();
}, CHECK_INTERVAL_MS);
