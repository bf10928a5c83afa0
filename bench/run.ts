// npm run bench: multiproc (process and thread contexts) side by side with piscina, tinypool,
// workerpool, raw Node and Python's multiprocessing, in one run on this machine. Prints each
// figure and multiproc's ratio to each peer, and writes BENCHMARKS.md.
//   npm run bench -- [--only W1,W3] [--quick]
// It is compiled to plain JavaScript first: under a TypeScript loader every child and thread
// (ours and the peers') would load the loader too, which would dominate start-up figures.
import { execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuCount, cpuInfo, getContext, Pool } from 'multiproc';
import { Piscina } from 'piscina';
import { Tinypool } from 'tinypool';
import workerpool from 'workerpool';
import { burn, double, noop } from './tasks.ts';

const args = process.argv.slice(2);
const isQuick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : null;
const benchDir = join(process.cwd(), 'bench'); // npm runs scripts at the package root
const peerWorker = join(benchDir, 'peers', 'worker.mjs');
const W1_ITEMS = 100_000;
const RUNS = isQuick ? 3 : 10;

type Row = { name: string; value: number; unit: string; higherIsBetter: boolean };
const sections: { title: string; rows: Row[]; note?: string }[] = [];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const time = async (fn: () => Promise<unknown>) => {
  const started = performance.now();
  await fn();
  return performance.now() - started;
};

function python(workload: string, ...params: number[]): Record<string, number> | null {
  try {
    const out = execFileSync('python3', [join(benchDir, 'python', 'bench.py'), workload, ...params.map(String)], { encoding: 'utf8', timeout: 300_000 });
    return JSON.parse(out);
  } catch (error) {
    console.log(`  python3: skipped (${(error as Error).message.split('\n')[0]})`);
    return null;
  }
}

function pythonVersion(): string {
  try {
    return execFileSync('python3', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'Python: absent';
  }
}

interface Peer {
  name: string;
  run(name: 'double' | 'burn', arg: number): Promise<number>;
  destroy(): Promise<void>;
}

function peers(threads: number): Peer[] {
  const piscina = new Piscina({ filename: peerWorker, minThreads: threads, maxThreads: threads });
  const tinypool = new Tinypool({ filename: peerWorker, minThreads: threads, maxThreads: threads });
  const wp = workerpool.pool(peerWorker, { minWorkers: threads, maxWorkers: threads, workerType: 'thread', workerThreadOpts: { env: { ...process.env, BENCH_WORKERPOOL: '1' } } });
  return [
    { name: 'piscina', run: (name, arg) => piscina.run({ name, arg }), destroy: () => piscina.destroy() },
    { name: 'tinypool', run: (name, arg) => tinypool.run({ name, arg }), destroy: () => tinypool.destroy() },
    { name: 'workerpool', run: (name, arg) => wp.exec(name, [arg]), destroy: async () => void (await wp.terminate()) },
  ];
}

function section(title: string, rows: Row[], note?: string): void {
  sections.push({ title, rows, note });
  console.log(`\n${title}`);
  for (const row of rows) console.log(`  ${row.name.padEnd(44)} ${format(row.value)} ${row.unit}`);
  const ours = rows.filter((row) => row.name.startsWith('multiproc'));
  for (const mine of ours) {
    const ratios = rows.filter((row) => !row.name.startsWith('multiproc')).map((peer) => `${peer.name} ${ratio(mine, peer)}`);
    if (ratios.length) console.log(`  ${mine.name} vs: ${ratios.join(', ')}`);
  }
}

function ratio(mine: Row, peer: Row): string {
  const value = mine.higherIsBetter ? mine.value / peer.value : peer.value / mine.value;
  return `${value.toFixed(2)}x`;
}

function format(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(1)} k`;
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

async function w1(): Promise<void> {
  const items = Array.from({ length: W1_ITEMS }, (_, index) => index);
  const rows: Row[] = [];
  for (const context of ['process', 'thread'] as const) {
    const pool = new Pool({ processes: 2, context });
    await pool.map(double, items); // warm up
    await pool.map(double, items, { chunkSize: 1 });
    const auto = median(await repeat(3, () => time(() => pool.map(double, items))));
    const one = median(await repeat(3, () => time(() => pool.map(double, items, { chunkSize: 1 }))));
    rows.push({ name: `multiproc ${context}: map, automatic chunks`, value: W1_ITEMS / (auto / 1000), unit: 'items/s', higherIsBetter: true });
    rows.push({ name: `multiproc ${context}: map, chunkSize 1`, value: W1_ITEMS / (one / 1000), unit: 'items/s', higherIsBetter: true });
    await pool.terminate();
  }
  for (const peer of peers(2)) {
    await Promise.all(items.slice(0, 1000).map((x) => peer.run('double', x)));
    const elapsed = median(await repeat(3, () => time(() => Promise.all(items.map((x) => peer.run('double', x))))));
    rows.push({ name: `${peer.name}: one task per item`, value: W1_ITEMS / (elapsed / 1000), unit: 'items/s', higherIsBetter: true });
    await peer.destroy();
  }
  const py = python('W1', W1_ITEMS);
  if (py) {
    rows.push({ name: 'python: Pool.map default chunks', value: py.auto, unit: 'items/s', higherIsBetter: true });
    rows.push({ name: 'python: Pool.map chunksize=1', value: py.chunk1, unit: 'items/s', higherIsBetter: true });
  }
  section(`W1: ${W1_ITEMS.toLocaleString('en-US')} tiny tasks (x => x * 2), 2 workers`, rows);
}

async function repeat(times: number, fn: () => Promise<number>): Promise<number[]> {
  const results: number[] = [];
  for (let index = 0; index < times; index++) results.push(await fn());
  return results;
}

function calibrateBurn(targetMs: number): number {
  let limit = 20_000;
  for (;;) {
    const started = performance.now();
    burn(limit);
    const ms = performance.now() - started;
    if (ms > targetMs / 4) return Math.round(limit * (targetMs / ms) ** (1 / 1.5));
    limit *= 2;
  }
}

async function w2(): Promise<void> {
  const cpus = cpuCount();
  const tasks = 4 * cpus;
  const limit = calibrateBurn(250);
  const serialStart = performance.now();
  for (let index = 0; index < tasks; index++) burn(limit);
  const serial = performance.now() - serialStart;
  const rows: Row[] = [];
  for (const context of ['process', 'thread'] as const) {
    const pool = new Pool({ processes: cpus, context });
    await pool.map(noop, Array.from({ length: cpus }), { chunkSize: 1 });
    const parallel = await time(() => pool.map(burn, Array(tasks).fill(limit), { chunkSize: 1 }));
    rows.push({ name: `multiproc ${context}`, value: serial / parallel, unit: 'x speed-up', higherIsBetter: true });
    await pool.terminate();
  }
  for (const peer of peers(cpus)) {
    await Promise.all(Array.from({ length: cpus }, () => peer.run('double', 1)));
    const parallel = await time(() => Promise.all(Array.from({ length: tasks }, () => peer.run('burn', limit))));
    rows.push({ name: peer.name, value: serial / parallel, unit: 'x speed-up', higherIsBetter: true });
    await peer.destroy();
  }
  const py = python('W2', 250, tasks, cpus);
  if (py) rows.push({ name: 'python: Pool.map chunksize=1', value: py.speedup, unit: 'x speed-up', higherIsBetter: true });
  section(`W2: speed-up on ${cpus} cores, ${tasks} CPU tasks of ~250 ms (serial / parallel, each against its own serial time)`, rows);
}

async function w3(): Promise<void> {
  const rows: Row[] = [];
  for (const context of ['process', 'thread'] as const) {
    // The first pool of a program boots its workers; later ones reuse the closed pools' warm workers.
    const [cold, ...warm] = await repeat(RUNS + 1, () => time(async () => {
      const pool = new Pool({ processes: 2, context });
      await pool.apply(noop);
      pool.close();
      await pool.join();
    }));
    rows.push({ name: `multiproc ${context}: first pool (cold)`, value: cold, unit: 'ms', higherIsBetter: false });
    rows.push({ name: `multiproc ${context}: next pools (warm workers)`, value: median(warm), unit: 'ms', higherIsBetter: false });
  }
  const makers: [string, () => Promise<void>][] = [
    ['piscina', async () => { const p = new Piscina({ filename: peerWorker, minThreads: 2, maxThreads: 2 }); await p.run({ name: 'double', arg: 1 }); await p.destroy(); }],
    ['tinypool', async () => { const p = new Tinypool({ filename: peerWorker, minThreads: 2, maxThreads: 2 }); await p.run({ name: 'double', arg: 1 }); await p.destroy(); }],
    ['workerpool', async () => { const p = workerpool.pool(peerWorker, { minWorkers: 2, maxWorkers: 2, workerType: 'thread', workerThreadOpts: { env: { ...process.env, BENCH_WORKERPOOL: '1' } } }); await p.exec('double', [1]); await p.terminate(); }],
  ];
  for (const [name, make] of makers) rows.push({ name, value: median(await repeat(RUNS, () => time(make))), unit: 'ms', higherIsBetter: false });
  const py = python('W3', RUNS);
  if (py) {
    rows.push({ name: 'python: spawn Pool(2)', value: py.spawn, unit: 'ms', higherIsBetter: false });
    rows.push({ name: 'python: fork Pool(2)', value: py.fork, unit: 'ms', higherIsBetter: false });
  }
  section(`W3: create a pool of 2, run one task, close it (median of ${RUNS})`, rows);
}

async function w7(): Promise<void> {
  const rows: Row[] = [];
  for (const context of ['process', 'thread'] as const) {
    const ProcessClass = getContext(context).Process;
    // Let the spares of earlier workloads idle out, so the first start is cold.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const [cold, ...warm] = await repeat(RUNS + 1, () => time(async () => {
      const child = new ProcessClass({ target: noop });
      child.start();
      await child.join();
    }));
    rows.push({ name: `multiproc ${context}: first Process (cold)`, value: cold, unit: 'ms', higherIsBetter: false });
    rows.push({ name: `multiproc ${context}: next Processes (spare children)`, value: median(warm), unit: 'ms', higherIsBetter: false });
  }
  const empty = join(benchDir, 'peers', 'empty.mjs');
  const forkMs = median(await repeat(RUNS, () => time(async () => void (await once(fork(empty), 'exit')))));
  rows.push({ name: 'raw child_process.fork', value: forkMs, unit: 'ms', higherIsBetter: false });
  const py = python('W7', RUNS);
  if (py) {
    rows.push({ name: 'python: spawn Process', value: py.spawn, unit: 'ms', higherIsBetter: false });
    rows.push({ name: 'python: fork Process', value: py.fork, unit: 'ms', higherIsBetter: false });
  }
  section(`W7: start and join an empty process (median of ${RUNS})`, rows);
}

const { model, processors } = cpuInfo();
const machine = `${model}, ${processors} processors (${cpuCount()} usable), Node ${process.version}, ${pythonVersion()}, ${new Date().toISOString().slice(0, 10)}`;
console.log(`machine: ${machine}`);
const workloads: [string, () => Promise<void>][] = [['W1', w1], ['W2', w2], ['W3', w3], ['W7', w7]];
for (const [name, run] of workloads) if (!only || only.includes(name)) await run();

const markdown = [
  '# Benchmarks',
  '',
  `Produced by \`npm run bench\` on: ${machine}.`,
  'Every figure comes from the same run; ratios compare multiproc with each peer (above 1.00x: multiproc is better).',
  'The machine is shared and noisy: single runs vary by up to ±50 %; compare ratios, not absolute numbers.',
  '',
  ...sections.flatMap(({ title, rows }) => {
    const peersOnly = rows.filter((row) => !row.name.startsWith('multiproc'));
    const header = `| | value | ${peersOnly.map((peer) => `vs ${peer.name}`).join(' | ')} |`;
    return [
      `## ${title}`,
      '',
      header,
      `|${' --- |'.repeat(2 + peersOnly.length)}`,
      ...rows.map((row) => `| ${row.name} | ${format(row.value)} ${row.unit} | ${peersOnly.map((peer) => (row.name.startsWith('multiproc') ? ratio(row, peer) : '')).join(' | ')} |`),
      '',
    ];
  }),
];
if (!only) writeFileSync(join(process.cwd(), 'BENCHMARKS.md'), `${markdown.join('\n')}\n`);
