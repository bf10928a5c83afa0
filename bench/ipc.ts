// W12, multiproc's participant: each message-passing mode of `multiproc/ipc` (and the root's Pipe()
// for comparison) between this process and a child, a multiproc Process running
// bench/ipc-tasks.ts's ipcPeer. The same loops as bench/python/ipc.py and bench/c/ipc-loop.c.
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IpcMeasurer, IpcMode, IpcTest } from './ipc-modes.ts';
import { connectionPort, type Port, posixPort, StreamPort, sysvPort } from './ipc-ports.ts';
import { ipcPeer, type PeerSetup, TO_CHILD, TO_PARENT } from './ipc-tasks.ts';
import { loadIpc, loadMultiproc, type MultiprocProcess } from './library.ts';
import { compiled, timeMs, within } from './measure.ts';
import { withChild } from './multiproc.ts';

export const who = 'multiproc process';

/** One mode made ready on this side, before the child starts. */
interface Opened {
  setup: PeerSetup;
  /** This side's Port, asked for once the child has started (opening a FIFO waits for its peer). */
  port(): Promise<Port>;
  /** Closes this process's copies of the ends the child was given, once the child holds its own. */
  afterStart(): void;
  /** Closes what is left here and removes the named objects (whatever happened). */
  release(): void;
}

/** A name no other run uses: the pid and a random part. */
const unique = () => `${process.pid}-${randomInt(2 ** 31)}`;

async function open(mode: IpcMode['id'], size: number): Promise<Opened> {
  const ipc = await loadIpc();
  switch (mode) {
    case 'posix-mq': {
      const toParent = `/multiproc-bench-${unique()}`;
      const toChild = `/multiproc-bench-${unique()}`;
      const options = { create: true, maxMessages: 10, messageSize: size };
      const inward = new ipc.PosixMessageQueue(toParent, options);
      let outward: InstanceType<typeof ipc.PosixMessageQueue> | undefined;
      const release = () => {
        for (const queue of [inward, outward]) {
          queue?.close();
          queue?.unlink();
        }
      };
      try {
        outward = new ipc.PosixMessageQueue(toChild, options);
      } catch (error) {
        release();
        throw error;
      }
      const port = posixPort(inward, outward, size);
      return { setup: { mode, toParent, toChild }, port: async () => port, afterStart() {}, release };
    }
    case 'sysv-mq': {
      // Key 0 is IPC_PRIVATE, which a child could not open by key.
      const key = randomInt(1, 2 ** 31);
      if (!ipc.SysVMessageQueue) throw new Error('not available: this build of multiproc/ipc has no SysVMessageQueue');
      const queue = new ipc.SysVMessageQueue(key, { create: true });
      const port = sysvPort(queue, TO_PARENT, TO_CHILD, size);
      return { setup: { mode, key }, port: async () => port, afterStart() {}, release: () => void queue.remove() };
    }
    case 'fifo': {
      const folder = mkdtempSync(join(tmpdir(), 'multiproc-bench-fifo-'));
      const release = () => rmSync(folder, { recursive: true, force: true });
      const toParent = join(folder, 'to-parent');
      const toChild = join(folder, 'to-child');
      try {
        await ipc.mkfifo(toParent);
        await ipc.mkfifo(toChild);
      } catch (error) {
        release();
        throw error;
      }
      const port = async () => {
        const readable = await ipc.openFifo(toParent, 'r');
        const writable = await ipc.openFifo(toChild, 'w');
        return new StreamPort(readable, writable, size);
      };
      return { setup: { mode, toParent, toChild }, port, afterStart() {}, release };
    }
    case 'pipe': {
      const [fromChild, childWrites] = ipc.pipe();
      const [childReads, toChild] = ipc.pipe();
      const port = new StreamPort(fromChild, toChild, size);
      const theirs = () => {
        childReads.destroy();
        childWrites.destroy();
      };
      const release = () => {
        theirs();
        fromChild.destroy();
        toChild.destroy();
      };
      return { setup: { mode, readable: childReads, writable: childWrites }, port: async () => port, afterStart: theirs, release };
    }
    default: {
      // 'mp-pipe' (the socket pair has its own measurement, below)
      const [mine, theirs] = (await loadMultiproc()).Pipe();
      const release = () => {
        mine.close();
        theirs.close();
      };
      return { setup: { mode: 'mp-pipe', connection: theirs }, port: async () => connectionPort(mine, size), afterStart: () => theirs.close(), release };
    }
  }
}

/**
 * This side's loop, the same for every mode: the ms of `count` messages streamed from the child
 * after `go()`, or of `count` round trips after `warmUp` untimed.
 */
async function drive(port: Port, test: IpcTest, warmUp: number, count: number, size: number, go: () => unknown): Promise<number> {
  if (test === 'stream') {
    await port.receive(warmUp);
    return timeMs(async () => {
      await go();
      await port.receive(count);
    });
  }
  const message = new Uint8Array(size).fill(7);
  const roundTrip = async () => {
    const sent = port.send(message);
    if (sent) await sent;
    await port.receive(1);
  };
  for (let turn = 0; turn < warmUp; turn++) await roundTrip();
  return timeMs(async () => {
    for (let turn = 0; turn < count; turn++) await roundTrip();
  });
}

/** One measurement of one mode with a multiproc Process as the child (every mode but the socket pair). */
async function measure(mode: IpcMode['id'], test: IpcTest, warmUp: number, count: number, size: number): Promise<number> {
  if (mode === 'socketpair') return measureSocketPair(test, warmUp, count, size);
  const { Event, getContext } = await loadMultiproc();
  const opened = await open(mode, size);
  const go = new Event();
  let port: Port | undefined;
  let child: MultiprocProcess;
  try {
    child = new (getContext('process').Process)({ target: ipcPeer, args: [opened.setup, test, warmUp, count, size, go] });
  } catch (error) {
    opened.release();
    throw error;
  }
  return withChild(
    child,
    async () => {
      opened.afterStart();
      port = await opened.port();
      return drive(port, test, warmUp, count, size, () => go.set());
    },
    () => {
      port?.close().catch(() => {});
      opened.release();
    },
  );
}

/** How long a child may take over one measurement before it counts as hung. */
const CHILD_LIMIT_MS = 60_000;

/**
 * The socket pair's measurement: its end goes to a plain `node` child as descriptor 3 (socket
 * Connections do not travel to a multiproc Process), and the go is a message on the pair.
 */
async function measureSocketPair(test: IpcTest, warmUp: number, count: number, size: number): Promise<number> {
  const [mine, theirs] = (await loadIpc()).socketPair();
  const script = join(dirname(fileURLToPath(import.meta.url)), `ipc-socket-child.${compiled ? 'js' : 'ts'}`);
  // Under tsx the harness's execArgv loads it in the child too; compiled, there is none.
  const child = spawn(process.execPath, [...process.execArgv, script, test, String(warmUp), String(count), String(size)], {
    stdio: ['ignore', 'inherit', 'inherit', theirs.fd],
  });
  theirs.close(); // the child holds its own copy now
  const port = connectionPort(mine, size);
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`the child exited with ${signal ?? `code ${code}`}`))));
  });
  exited.catch(() => {}); // seen below
  // A clean exit is no failure while what the child sent is still to be read.
  const failed = exited.then(() => new Promise<never>(() => {}));
  failed.catch(() => {});
  try {
    const work = (async () => {
      const ms = await Promise.race([drive(port, test, warmUp, count, size, () => port.send(new Uint8Array(size))), failed]);
      await exited;
      return ms;
    })();
    return await within(work, CHILD_LIMIT_MS, 'the child');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill();
    await port.close();
  }
}

/** W12's multiproc participant. */
export const measurer: IpcMeasurer = {
  who,
  covers: () => true,
  async unavailable(mode) {
    if (mode.id !== 'sysv-mq') return null;
    try {
      return (await loadIpc()).SysVMessageQueue ? null : 'not available: this build of multiproc/ipc has no SysVMessageQueue';
    } catch {
      return null; // multiproc/ipc does not load: the measurement fails with the reason
    }
  },
  means: () => '',
  measure: (mode, test, warmUp, count, size) => measure(mode.id, test, warmUp, count, size),
};
