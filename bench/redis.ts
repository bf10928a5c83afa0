// W13: the redis context on this machine, against raw BullMQ. One private redis-server (no
// persistence) for the whole workload; 2 `multiproc worker` processes (--concurrency 1: one
// local task process each) run
// - W13a: 100,000 tiny tasks (x => x * 2) through Pool({ context: 'redis' }).map and its
//   automatic chunks, beside raw BullMQ with 100 items per job and 2 Worker processes;
// - W13b: W2's CPU tasks, one per job, against their serial time in the harness's thread.
// Redis's counters around each timed run give what a job costs Redis (commands, bytes), the
// figures a sizing for more machines starts from. run.ts imports this module only when
// redis-server and bullmq are there; every process started here is ended, also on failure.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Queue } from 'bullmq';
import { loadMultiproc, type MultiprocPool } from './library.ts';
import { compiled, failedFigure, type Figure, repeat, rootDir, type Settings, speedupFigure, speedupRounds, throughputTimesFigure, timeMs } from './measure.ts';
import { countersBetween, type RedisCounters, type RedisServer, readCounters, startRedisServer, stopProcesses } from './redis-server.ts';
import { burn, double } from './tasks.ts';

export const who = 'multiproc redis';
export const rawName = 'raw BullMQ';
export const ITEMS_PER_RAW_JOB = 100;
export const WORKER_PROCESSES = 2;

/** bench/tasks's directory (bench/ under tsx, .bench-tmp/ compiled): the root of the tasks' module names. */
const TASKS_DIR = fileURLToPath(new URL('.', import.meta.url));
/** The library's CLI and the raw worker, as this harness runs: TypeScript under tsx, or the compiled JavaScript. */
const CLI = compiled ? join(rootDir, 'dist', 'cli.js') : join(rootDir, 'src', 'cli.ts');
const RAW_WORKER = fileURLToPath(new URL(compiled ? './redis-raw-worker.js' : './redis-raw-worker.ts', import.meta.url));
const NODE_ARGS = compiled ? [] : ['--import', 'tsx'];
/** multiproc's queue (the Pool's default) and BullMQ key prefix; raw BullMQ keeps its own. */
const MULTIPROC_QUEUE = 'default';
const MULTIPROC_PREFIX = 'multiproc';
const RAW_QUEUE = 'raw';
/** How long the workers may take to connect. */
const WORKERS_LIMIT_MS = 60_000;

function startProcesses(args: string[]): ChildProcess[] {
  return Array.from({ length: WORKER_PROCESSES }, () => spawn(process.execPath, [...NODE_ARGS, ...args], { stdio: ['ignore', 'inherit', 'inherit'] }));
}

/** Resolves once `count` workers serve the queue (BullMQ's CLIENT LIST names); rejects when one exits first. */
async function workersReady(url: string, queueName: string, prefix: string | undefined, children: ChildProcess[]): Promise<void> {
  const { Queue } = await import('bullmq');
  const queue: Queue = new Queue(queueName, { connection: { url }, ...(prefix ? { prefix } : {}) });
  try {
    const deadline = performance.now() + WORKERS_LIMIT_MS;
    while ((await queue.getWorkersCount()) < children.length) {
      const exited = children.find((child) => child.exitCode !== null || child.signalCode !== null);
      if (exited) throw new Error(`a worker process exited (code ${exited.exitCode}, signal ${exited.signalCode}) before serving the queue`);
      if (performance.now() > deadline) throw new Error(`the ${children.length} worker processes did not all connect within ${WORKERS_LIMIT_MS / 1000} s`);
      await new Promise((next) => setTimeout(next, 100));
    }
  } finally {
    await queue.close();
  }
}

/** Redis's costs per job and per item over timed runs, for a figure's details. */
function costs(counters: RedisCounters, jobs: number, items: number): string {
  const perJob = (n: number) => (n / jobs).toFixed(1);
  const bytes = counters.bytesIn + counters.bytesOut;
  const perItem = items === jobs ? '' : `, ${(bytes / items).toFixed(1)} bytes per item`;
  const size = items === jobs ? 'of one task' : `of ${Math.round(items / jobs).toLocaleString('en-US')} items`;
  return (
    `; Redis per job (${jobs.toLocaleString('en-US')} jobs ${size}): ` +
    `${perJob(counters.commands)} commands (${perJob(counters.scripts)} of them scripts, their inner commands counted too), ` +
    `${Math.round(bytes / jobs).toLocaleString('en-US')} bytes in+out${perItem}, ${Math.round(counters.cpuUs / jobs).toLocaleString('en-US')} µs of redis-server CPU`
  );
}

/** Times `reps` runs of `run` and reads Redis's counters around them. */
async function timedRuns(port: number, reps: number, run: () => Promise<void>): Promise<{ times: number[]; counters: RedisCounters }> {
  const before = await readCounters(port);
  const times = await repeat(reps, () => timeMs(run));
  return { times, counters: countersBetween(before, await readCounters(port)) };
}

/** W13a's and W13b's multiproc figures, on one set of 2 workers. */
async function measureMultiproc(server: RedisServer, s: Settings): Promise<Figure[]> {
  const workers = startProcesses([CLI, 'worker', '--url', server.url, '--root', TASKS_DIR, '--concurrency', '1', '--quiet']);
  const { Pool } = await loadMultiproc();
  let pool: MultiprocPool | undefined;
  try {
    await workersReady(server.url, MULTIPROC_QUEUE, MULTIPROC_PREFIX, workers);
    pool = new Pool({ context: 'redis', url: server.url, root: TASKS_DIR });
    const items = s.w1Items;
    await pool.map(double, items.slice(0, 1000)); // both workers' task processes up, the connections warm
    const tiny = await timedRuns(server.port, s.w1Reps, async () => {
      const results = await pool!.map(double, items);
      if (results.length !== items.length || results[items.length - 1] !== 2 * items[items.length - 1]) throw new Error('W13a: wrong results');
    });
    // Python's rule for map's automatic chunks, for the parallelism the redis Pool plans for.
    const chunk = Math.ceil(items.length / (4 * pool.processes));
    const jobs = s.w1Reps * Math.ceil(items.length / chunk);
    const w13a = throughputTimesFigure(who, 'default chunks', items.length, tiny.times);
    w13a.detail += costs(tiny.counters, jobs, s.w1Reps * items.length);

    await pool.map(burn, Array<number>(2 * WORKER_PROCESSES).fill(20_000), { chunkSize: 1 }); // burn compiled in both
    const before = await readCounters(server.port);
    const rounds = await speedupRounds(s, () => pool!.map(burn, Array<number>(s.w2Tasks).fill(s.w2Limit), { chunkSize: 1 }));
    const cpuCosts = countersBetween(before, await readCounters(server.port));
    const w13b = speedupFigure(who, rounds, costs(cpuCosts, s.w2Rounds * s.w2Tasks, s.w2Rounds * s.w2Tasks));
    return [w13a, w13b];
  } finally {
    if (pool) {
      pool.close();
      await pool.join();
    }
    await stopProcesses(workers);
  }
}

/** W13a's raw BullMQ figure: the same items in jobs of ITEMS_PER_RAW_JOB, all added at once, until the last completes. */
async function measureRawBullmq(server: RedisServer, s: Settings): Promise<Figure> {
  const workers = startProcesses([RAW_WORKER, server.url, RAW_QUEUE]);
  const { Queue, QueueEvents } = await import('bullmq');
  const queue = new Queue(RAW_QUEUE, { connection: { url: server.url } });
  const events = new QueueEvents(RAW_QUEUE, { connection: { url: server.url } });
  try {
    await Promise.all([events.waitUntilReady(), workersReady(server.url, RAW_QUEUE, undefined, workers)]);
    const run = async (input: number[]) => {
      const jobs = [];
      for (let first = 0; first < input.length; first += ITEMS_PER_RAW_JOB) {
        jobs.push({ name: 'double', data: { items: input.slice(first, first + ITEMS_PER_RAW_JOB) }, opts: { removeOnComplete: true, removeOnFail: true } });
      }
      let left = jobs.length;
      const done = new Promise<void>((resolve, reject) => {
        const onCompleted = () => {
          if (--left === 0) {
            events.off('completed', onCompleted);
            events.off('failed', onFailed);
            resolve();
          }
        };
        const onFailed = ({ failedReason }: { failedReason: string }) => reject(new Error(`raw BullMQ: a job failed: ${failedReason}`));
        events.on('completed', onCompleted);
        events.on('failed', onFailed);
      });
      await queue.addBulk(jobs);
      await done;
    };
    await run(s.w1Items.slice(0, 1000));
    const items = s.w1Items;
    const timed = await timedRuns(server.port, s.w1Reps, () => run(items));
    const figure = throughputTimesFigure(rawName, `${ITEMS_PER_RAW_JOB} items per job`, items.length, timed.times);
    figure.detail += costs(timed.counters, s.w1Reps * Math.ceil(items.length / ITEMS_PER_RAW_JOB), s.w1Reps * items.length);
    return figure;
  } finally {
    await Promise.all([queue.close(), events.close()]);
    await stopProcesses(workers);
  }
}

/** W13's figures: multiproc's items/s and speed-up, raw BullMQ's items/s; redis-server is ended whatever happens. */
export async function w13(s: Settings): Promise<Figure[]> {
  const server = await startRedisServer();
  try {
    // A failed measurement becomes its own row; the others still run.
    const multiproc = await measureMultiproc(server, s).catch((error: unknown) => [
      failedFigure(who, 'default chunks', 'items/s', error),
      failedFigure(who, undefined, 'speed-up', error),
    ]);
    const raw = await measureRawBullmq(server, s).catch((error: unknown) => failedFigure(rawName, `${ITEMS_PER_RAW_JOB} items per job`, 'items/s', error));
    return [multiproc[0], raw, multiproc[1]];
  } finally {
    await stopProcesses([server.child]);
  }
}
