// The redis context beside raw BullMQ, on this machine: a private redis-server, 2 worker
// processes each, 100,000 tiny tasks (x => x * 2). multiproc: Pool({ context: 'redis' }).map with
// its automatic chunks; raw BullMQ: 100 items per job, a Worker per process doing the same loop.
// Not yet part of `npm run bench` (the W13 row is to come); run it alone:
//
//   node --import tsx bench/redis.ts [--items N]
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { double } from './tasks.ts';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
// Under tsx the bench loads multiproc from src/ (bench/library.ts): the workers must too, so that
// bench/tasks.ts registers its functions in the same copy of the library that runs them.
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const LIBRARY = new URL('../src/index.ts', import.meta.url).href;
const ITEMS_PER_RAW_JOB = 100;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--logfile', ''], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  for await (const chunk of child.stdout!) {
    output += chunk;
    if (output.includes('Ready to accept connections')) break;
  }
  child.stdout!.resume();
  return child;
}

async function stop(children: ChildProcess[]): Promise<void> {
  await Promise.all(children.filter((child) => child.exitCode === null).map((child) => {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    return exited;
  }));
}

async function measureMultiproc(url: string, items: number[]): Promise<number> {
  const workers = [0, 1].map(() => spawn(process.execPath, ['--import', 'tsx', CLI, 'worker', '--url', url, '--root', BENCH_DIR, '--concurrency', '1', '--quiet'], { stdio: 'inherit' }));
  const { Pool } = (await import(LIBRARY)) as typeof import('multiproc');
  const pool = new Pool({ context: 'redis', url, root: BENCH_DIR });
  try {
    await pool.map(double, items.slice(0, 1000)); // both workers up and their pools warm
    const startMs = performance.now();
    const results = await pool.map(double, items);
    const elapsedMs = performance.now() - startMs;
    if (results[items.length - 1] !== 2 * items[items.length - 1]) throw new Error('wrong result');
    return items.length / (elapsedMs / 1000);
  } finally {
    pool.close();
    await pool.join();
    await stop(workers);
  }
}

async function rawWorker(url: string): Promise<void> {
  const { Worker } = await import('bullmq');
  const worker = new Worker('raw', async (job) => (job.data.items as number[]).map((x) => x * 2), { connection: { url }, concurrency: 1 });
  process.once('SIGTERM', () => void worker.close());
}

async function measureRawBullmq(url: string, items: number[]): Promise<number> {
  const { Queue, QueueEvents } = await import('bullmq');
  const workers = [0, 1].map(() => spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--raw-worker', url], { stdio: 'inherit' }));
  const queue = new Queue('raw', { connection: { url } });
  const events = new QueueEvents('raw', { connection: { url } });
  await events.waitUntilReady();
  try {
    const run = async (input: number[]) => {
      const jobs = [];
      for (let first = 0; first < input.length; first += ITEMS_PER_RAW_JOB) {
        jobs.push({ name: 'double', data: { items: input.slice(first, first + ITEMS_PER_RAW_JOB) }, opts: { removeOnComplete: true } });
      }
      let left = jobs.length;
      const done = new Promise<void>((resolve) => {
        const onCompleted = () => {
          if (--left === 0) {
            events.off('completed', onCompleted);
            resolve();
          }
        };
        events.on('completed', onCompleted);
      });
      await queue.addBulk(jobs);
      await done;
    };
    await run(items.slice(0, 1000));
    const startMs = performance.now();
    await run(items);
    return items.length / ((performance.now() - startMs) / 1000);
  } finally {
    await Promise.all([queue.close(), events.close()]);
    await stop(workers);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--raw-worker') return rawWorker(argv[1]);
  const count = argv[0] === '--items' ? Number(argv[1]) : 100_000;
  const items = Array.from({ length: count }, (_, index) => index);
  const port = await freePort();
  const redis = await startRedis(port);
  const url = `redis://127.0.0.1:${port}`;
  try {
    const multiproc = await measureMultiproc(url, items);
    const raw = await measureRawBullmq(url, items);
    console.log(`${count} tiny tasks, 2 worker processes, one redis-server on this machine`);
    console.log(`  multiproc Pool({ context: 'redis' }).map   ${Math.round(multiproc).toLocaleString('en')} items/s`);
    console.log(`  raw BullMQ, ${ITEMS_PER_RAW_JOB} items per job          ${Math.round(raw).toLocaleString('en')} items/s`);
    console.log(`  ratio                                     ${(multiproc / raw).toFixed(2)}x`);
  } finally {
    await stop([redis]);
  }
}

await main();
