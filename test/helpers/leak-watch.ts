// What the leak check watches in a test file's process: its children, the worker threads it
// starts, and the segments that appear in /dev/shm under multiproc's names while it runs and
// that its process tree still maps or holds open.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { after } from 'node:test';
import type * as WorkerThreads from 'node:worker_threads';
import { childPids, commandLine, eventually } from './processes.ts';

/**
 * How long the check waits for what a file started to finish ending: a child terminated by the
 * last test may still be exiting, and the idle workers a closed pool parks end after 2 s unused.
 * The check returns as soon as nothing is left.
 */
const SETTLE_MS = 10_000;

/** multiproc's segment names: SharedMemory's "mp-…", pipes' and queues' chunks "mpc-…-…". */
const OUR_SEGMENT = /^mpc?-[0-9a-f]{16}(-\d+)*$/;

/**
 * Children that may outlive a file's tests: the tree's resource tracker (it lives as long as its
 * root, then unlinks what the tree left) and the loader's esbuild service.
 */
function isLegitimateChild(line: string): boolean {
  return line.includes('tracker-main') || /esbuild.*--service/.test(line);
}

/** This process and its live descendants. */
function processTree(): number[] {
  const tree = [process.pid];
  for (let index = 0; index < tree.length; index++) tree.push(...childPids(tree[index]));
  return tree;
}

/** Every process of the machine. */
function allProcesses(): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number);
}

/** The /dev/shm names that these processes map or hold open. */
function segmentsInUse(pids: number[]): Set<string> {
  const names = new Set<string>();
  const add = (path: string) => {
    const match = /^\/dev\/shm\/(\S+?)(?: \(deleted\))?$/.exec(path);
    if (match) names.add(match[1]);
  };
  for (const pid of pids) {
    try {
      for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) add(line.slice(line.indexOf('/')));
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          add(readlinkSync(`/proc/${pid}/fd/${fd}`));
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      // the process ended while we looked
    }
  }
  return names;
}

function ourSegments(): Set<string> {
  try {
    return new Set(readdirSync('/dev/shm').filter((name) => OUR_SEGMENT.test(name)));
  } catch {
    return new Set(); // no /dev/shm: nothing to compare
  }
}

/** Replaces worker_threads.Worker before any test module loads it, to count the threads still running. */
function watchWorkers(): Set<WorkerThreads.Worker> {
  const running = new Set<WorkerThreads.Worker>();
  const workerThreads = createRequire(import.meta.url)('node:worker_threads') as typeof WorkerThreads;
  const Original = workerThreads.Worker;
  class WatchedWorker extends Original {
    constructor(...args: ConstructorParameters<typeof Original>) {
      super(...args);
      running.add(this);
      this.once('exit', () => running.delete(this));
    }
  }
  workerThreads.Worker = WatchedWorker;
  syncBuiltinESMExports();
  return running;
}

/** Installs the watch and the root-level `after` hook that fails the file when something leaked. */
/**
 * Ends the warm children multiproc keeps after use (spares, parked pool workers) at once, rather
 * than waiting out their idle time: they are not leaks, and they would end by themselves.
 */
function endIdleChildren(): void {
  const hooks = (globalThis as { [key: symbol]: Set<() => void> | undefined })[Symbol.for('multiproc.expireIdleChildren')];
  for (const expire of hooks ?? []) expire();
}

export function installLeakCheck(): void {
  const segmentsAtStart = ourSegments();
  const runningWorkers = watchWorkers();
  const leakedChildren = () => childPids().map((pid) => `${pid} ${commandLine(pid)}`).filter((line) => !isLegitimateChild(line));
  const newSegments = () => {
    const fresh = [...ourSegments()].filter((name) => !segmentsAtStart.has(name));
    if (fresh.length === 0) return fresh;
    // Other programs of this user make segments of the same names at the same time: a new segment
    // is this file's when its process tree still maps or holds it, or when no process does (left
    // by a closed object of this file; a segment whose tree ended is unlinked by its tracker).
    const inTree = segmentsInUse(processTree());
    const orphans = fresh.filter((name) => !inTree.has(name));
    const inAnyProcess = orphans.length > 0 ? segmentsInUse(allProcesses()) : new Set<string>();
    return fresh.filter((name) => inTree.has(name) || !inAnyProcess.has(name));
  };
  const isClean = () => leakedChildren().length === 0 && runningWorkers.size === 0 && newSegments().length === 0;
  after(async () => {
    endIdleChildren();
    if (await eventually(isClean, SETTLE_MS)) return;
    const leaks = [
      ...leakedChildren().map((line) => `child process ${line}`),
      ...[...runningWorkers].map((worker) => `worker thread ${worker.threadId}`),
      ...newSegments().map((name) => `segment /dev/shm/${name}`),
    ];
    throw new Error(
      `leak check: ${process.argv[1]} left behind, ${SETTLE_MS} ms after its last test:\n  ${leaks.join('\n  ')}\n` +
        'End children, terminate pools and threads, and unlink segments in t.after() of the test that started them.',
    );
  });
}
