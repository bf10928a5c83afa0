// A process tree of its own for resource-tracker tests: a root process that creates a segment
// it never unlinks (so the tracker starts and has something to clean up), reports where its
// tracker listens, and ends when told. Plus what a test needs to watch the tracker from outside.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { commandLine, eventually, isRunning } from './contexts.ts';

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

const rootProgram = `import { SharedMemory } from 'multiproc';
  const leftover = new SharedMemory({ create: true, size: 4096 }); // never unlinked: the tracker's job
  console.log(JSON.stringify({ address: process.env.MULTIPROC_TRACKER, leftover: leftover.name }));
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();`;

export interface TrackedTree {
  /** The root process; it exits when `end()` is called. */
  root: ChildProcess;
  /** The tracker's abstract address, without its leading NUL. */
  address: string;
  /** The tracker's pid. */
  trackerPid: number;
  /** A segment the root created and never unlinked. */
  leftover: string;
  /** Ends the root process, as a program ends without unlinking. */
  end(): Promise<void>;
}

/** This environment without a tree's variables: the child is the root of a tree of its own. */
export function rootEnvironment(): NodeJS.ProcessEnv {
  const { MULTIPROC_TRACKER: _tracker, MULTIPROC_ROOT_PID: _root, ...rest } = process.env;
  return rest;
}

/** The pid of the tracker serving the tree rooted at `rootPid`, or undefined. */
function trackerOf(rootPid: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const line = commandLine(Number(entry));
    if (line.includes('tracker-main') && line.endsWith(` ${rootPid}`)) return Number(entry);
  }
  return undefined;
}

/** Starts a tree; its tracker is running when this resolves. Ends it after the test, even on failure. */
export async function startTrackedTree(t: { after(fn: () => unknown): void }): Promise<TrackedTree> {
  const root = spawn(process.execPath, ['--input-type=module', '-e', rootProgram], {
    cwd: packageRoot,
    env: rootEnvironment(),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(root, 'exit');
  t.after(async () => {
    if (root.exitCode === null && root.signalCode === null) root.kill('SIGKILL');
    await exited;
  });
  const { value: line } = await createInterface({ input: root.stdout! })[Symbol.asyncIterator]().next();
  if (typeof line !== 'string') throw new Error(`the tree's root exited (${root.exitCode ?? root.signalCode}) before it reported`);
  const { address, leftover } = JSON.parse(line) as { address: string; leftover: string };
  let trackerPid: number | undefined;
  if (!(await eventually(() => (trackerPid = trackerOf(root.pid!)) !== undefined))) throw new Error('no tracker started');
  const end = async () => {
    root.stdin!.end();
    await exited;
  };
  return { root, address, trackerPid: trackerPid!, leftover, end };
}

/** Waits (with a generous bound) until the tracker has cleaned up and exited. */
export async function trackerExited(tree: TrackedTree): Promise<boolean> {
  return eventually(() => !isRunning(tree.trackerPid), 30_000);
}

/** True while a segment (name with or without its "/") exists in /dev/shm. */
export function segmentExists(name: string): boolean {
  return existsSync(`/dev/shm/${name.replace(/^\//, '')}`);
}

/** A process's resident memory in bytes (VmRSS). */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return Number(kilobytes?.[1] ?? 0) * 1024;
}
