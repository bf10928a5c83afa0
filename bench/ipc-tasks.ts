// W12's child: the other end of each mode, run in a multiproc Process started by bench/ipc.ts and
// registered so that the child finds it by name. Named modes reach the child as their names, key
// or paths and are opened here as any other program would; the unnamed ones travel as handles.
import type { Readable, Writable } from 'node:stream';
import type { IpcTest } from './ipc-modes.ts';
import { connectionPort, type Port, posixPort, StreamPort, sysvPort } from './ipc-ports.ts';
import { loadIpc, loadMultiproc, type MultiprocBytesConnection, type MultiprocEvent } from './library.ts';

/** What the child needs to reach the harness through one mode. */
export type PeerSetup =
  | { mode: 'posix-mq'; toParent: string; toChild: string }
  | { mode: 'sysv-mq'; key: number }
  | { mode: 'fifo'; toParent: string; toChild: string }
  | { mode: 'pipe'; readable: Readable; writable: Writable }
  | { mode: 'socketpair' | 'mp-pipe'; connection: MultiprocBytesConnection };

/** The System V message types: 1 goes to the parent, 2 to the child. */
export const TO_PARENT = 1;
export const TO_CHILD = 2;

async function childPort(setup: PeerSetup, size: number): Promise<Port> {
  switch (setup.mode) {
    case 'posix-mq': {
      const { PosixMessageQueue } = await loadIpc();
      return posixPort(new PosixMessageQueue(setup.toChild), new PosixMessageQueue(setup.toParent), size);
    }
    case 'sysv-mq': {
      const { SysVMessageQueue } = await loadIpc();
      if (!SysVMessageQueue) throw new Error('not available: this build of multiproc/ipc has no SysVMessageQueue');
      return sysvPort(new SysVMessageQueue(setup.key), TO_CHILD, TO_PARENT, size);
    }
    case 'fifo': {
      const { openFifo } = await loadIpc();
      // The harness opens toParent first, then toChild: the same order here, or both would wait.
      const writable = await openFifo(setup.toParent, 'w');
      const readable = await openFifo(setup.toChild, 'r');
      return new StreamPort(readable, writable, size);
    }
    case 'pipe':
      return new StreamPort(setup.readable, setup.writable, size);
    default:
      return connectionPort(setup.connection, size);
  }
}

/**
 * W12's child: in a ping-pong, sends back each of `warmUp + count` messages; in a stream, sends
 * `warmUp` messages of `size` bytes, waits for `go` (null: for a message from the harness on the
 * same two-way port), then sends `count` more.
 */
export async function ipcPeer(setup: PeerSetup, test: IpcTest, warmUp: number, count: number, size: number, go: MultiprocEvent | null): Promise<void> {
  const port = await childPort(setup, size);
  try {
    if (test === 'pingpong') {
      await port.echo(warmUp + count);
      return;
    }
    const message = new Uint8Array(size).fill(7);
    for (let index = 0; index < warmUp; index++) {
      const sent = port.send(message);
      if (sent) await sent;
    }
    await (go ? go.wait() : port.receive(1));
    for (let index = 0; index < count; index++) {
      const sent = port.send(message);
      if (sent) await sent;
    }
  } finally {
    await port.close();
  }
}

try {
  (await loadMultiproc()).register(import.meta.url, { ipcPeer });
} catch {
  // The library did not load: bench/multiproc.ts reports it unavailable.
}
