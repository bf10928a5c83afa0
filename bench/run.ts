// npm run bench: multiproc (process and thread contexts) side by side with piscina, tinypool,
// workerpool, raw child_process.fork and Python's multiprocessing, in one run on this machine.
// Prints the machine, then a table per workload with each figure and multiproc's ratio to each
// peer, and writes BENCHMARKS.md (full runs only, or --out FILE).
//
//   npm run bench -- [--only W1,W3] [--quick] [--out FILE] [--modes fifo,pipe]   (--modes: W12's modes only)
//   node --import tsx bench/run.ts [same options]
//
// W1  100,000 tiny tasks (x => x * 2) on 2 workers, items/s
// W2  speed-up of 4 x cores CPU tasks of ~250 ms on all cores
// W3  create a pool of 2, run one task, close it (ms)
// W4  one producer, one consumer in two processes: small ints (msg/s) and 1 MB messages (MB/s) through a queue
// W5  Pipe ping-pong between two processes (µs per round trip)
// W6  64 MB to a child and back through a Pipe (ms per round trip)
// W7  start and join an empty process (ms)
// W8  4 processes incrementing one shared Value 100,000 times each under its lock (ops/s)
// W9  Event ping-pong between two processes (µs per round trip)
// W10 executor.submit of 10,000 trivial calls, then awaiting them all (futures/s)
// W11 a manager dict: set and get from two processes (ops/s)
// W12 the Unix IPC modes (POSIX and System V queues, FIFO, pipe, socket pair; Pipe() for comparison)
//     between two processes: 64-byte messages one way (msg/s) and ping-pong (µs), beside Python and C
// W13 the redis context with 2 `multiproc worker` processes and a private redis-server: W1's tiny
//     tasks beside raw BullMQ (items/s), and W2's CPU tasks (speed-up); needs redis-server and bullmq
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { compiled, errorMessage, type Figure, installedVersion, mib, rootDir, type Settings, timeMs, type Unit, W5_MESSAGES } from './measure.ts';
import { type IpcMeasurer, type IpcMode, interleaved, ipcModes } from './ipc-modes.ts';
import * as cLoop from './peers/c-loop.ts';
import * as piscina from './peers/piscina.ts';
import * as python from './peers/python.ts';
import * as rawNode from './peers/raw-node.ts';
import * as tinypool from './peers/tinypool.ts';
import * as workerpool from './peers/workerpool.ts';
import { redisServerMissing, redisServerVersion } from './redis-server.ts';
import { formatRatio, isMultiproc, label, type Machine, markdown, printSection, ratio, type Section } from './report.ts';
import { burn } from './tasks.ts';

const WORKLOADS = ['W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'W7', 'W8', 'W9', 'W10', 'W11', 'W12', 'W13'] as const;
type WorkloadId = (typeof WORKLOADS)[number];
type Job = (s: Settings) => Promise<Figure[]>;
type Participant = { name: string } & Partial<Record<WorkloadId, Job>>;

// ---- command line ----
const usage = 'usage: npm run bench -- [--only W1,W2,W3,W4,W5,W6,W7,W8,W9,W10,W11,W12,W13] [--quick] [--out FILE] [--modes posix-mq,sysv-mq,fifo,pipe,socketpair,mp-pipe]';
let only: WorkloadId[] | null = null;
let quick = false;
let out: string | null = null;
let w12Modes: IpcMode['id'][] | null = null;
const argv = process.argv.slice(2);
for (let index = 0; index < argv.length; index++) {
  const [flag, inline] = argv[index].split(/=(.*)/s, 2);
  const value = () => inline ?? argv[++index] ?? '';
  if (flag === '--quick') quick = true;
  else if (flag === '--only') {
    const names = value().toUpperCase().split(',').filter(Boolean);
    const unknown = names.filter((name) => !(WORKLOADS as readonly string[]).includes(name));
    if (unknown.length || !names.length) {
      console.error(`--only: unknown workload ${unknown.join(', ') || '(none)'}; choose from ${WORKLOADS.join(', ')}\n${usage}`);
      process.exit(2);
    }
    only = names as WorkloadId[];
  } else if (flag === '--out') out = value();
  else if (flag === '--modes') {
    const ids = value().split(',').filter(Boolean);
    const unknown = ids.filter((id) => !ipcModes.some((mode) => mode.id === id));
    if (unknown.length || !ids.length) {
      console.error(`--modes: unknown W12 mode ${unknown.join(', ') || '(none)'}; choose from ${ipcModes.map((mode) => mode.id).join(', ')}\n${usage}`);
      process.exit(2);
    }
    w12Modes = ids as IpcMode['id'][];
  }
  else {
    if (flag !== '--help' && flag !== '-h') console.error(`unknown argument ${argv[index]}`);
    console.log(usage);
    process.exit(flag === '--help' || flag === '-h' ? 0 : 2);
  }
}

// Children this process had before any workload (tsx's esbuild service): not the harness's to end.
const childrenAtStart = new Set(childPids());

// ---- the machine, first ----
const cores = availableParallelism();
const pythonVersion = python.pythonVersion();
const machine: Machine = {
  date: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  cpu: cpus()[0]?.model.trim() || 'unknown CPU',
  cores: cpus().length,
  usable: cores,
  node: process.version,
  python: pythonVersion,
  multiproc: '',
  peers: ['piscina', 'tinypool', 'workerpool'].map((name) => `${name} ${installedVersion(name)}`).join(', '),
};
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores (${cores} usable), Node ${machine.node}, ` +
    `${pythonVersion ? `Python ${pythonVersion}` : 'no Python'}, ${machine.date}${quick ? ' [--quick]' : ''}`,
);

// ---- participants: multiproc if it loads, then the peers ----
const participants: Participant[] = [];
/** W12's participants, whose runs are interleaved mode by mode (ipc-modes.ts): multiproc (between processes only), Python, C. */
const ipcMeasurers: IpcMeasurer[] = [];
let multiprocUnavailable: string | null = null;
try {
  const multiproc = await import('./multiproc.ts');
  ipcMeasurers.push((await import('./ipc.ts')).measurer);
  const version = (JSON.parse(readFileSync(join(rootDir, 'package.json'), 'utf8')) as { version: string }).version;
  machine.multiproc = `${version}, from ${multiproc.source}`;
  for (const context of multiproc.contexts) {
    participants.push({
      name: `multiproc ${context}`,
      W1: (s) => multiproc.w1(context, s),
      W2: (s) => multiproc.w2(context, s),
      W3: (s) => multiproc.w3(context, s),
      W4: (s) => multiproc.w4(context, s),
      W5: (s) => multiproc.w5(context, s),
      W6: (s) => multiproc.w6(context, s),
      W7: (s) => multiproc.w7(context, s),
      W8: (s) => multiproc.w8(context, s),
      W9: (s) => multiproc.w9(context, s),
      W10: (s) => multiproc.w10(context, s),
      W11: (s) => multiproc.w11(context, s),
    });
  }
  console.log(`multiproc: ${machine.multiproc}`);
} catch (error) {
  multiprocUnavailable = errorMessage(error);
  machine.multiproc = `unavailable (${multiprocUnavailable})`;
  console.log(`multiproc: unavailable (${multiprocUnavailable})`);
}
for (const peer of [piscina, tinypool, workerpool]) participants.push({ name: peer.name, W1: peer.w1, W2: peer.w2, W3: peer.w3 });
participants.push({ name: rawNode.name, W4: rawNode.w4, W5: rawNode.w5, W6: rawNode.w6, W7: rawNode.w7 });
participants.push({ name: rawNode.threadName, W4: rawNode.threadW4, W5: rawNode.threadW5, W6: rawNode.threadW6 });
if (pythonVersion) {
  participants.push({
    name: python.name,
    W1: python.w1,
    W2: python.w2,
    W3: python.w3,
    W4: python.w4,
    W5: python.w5,
    W6: python.w6,
    W7: python.w7,
    W8: python.w8,
    W9: python.w9,
    W10: python.w10,
    W11: python.w11,
  });
  ipcMeasurers.push(python.ipcMeasurer);
}
else console.log('python: skipped (python3 not found)');
const compiler = cLoop.compilerVersion();
if (compiler) ipcMeasurers.push(cLoop.measurer);

// W13's participant: multiproc's redis context and raw BullMQ, when redis-server and bullmq are here.
let redisUnavailable: string | null = multiprocUnavailable ? 'multiproc is unavailable' : redisServerMissing();
if (!redisUnavailable) {
  try {
    await import('bullmq'); // redis.ts loads it only when measuring
    const redis = await import('./redis.ts');
    participants.push({ name: `${redis.who}, ${redis.rawName} (redis-server ${redisServerVersion()}, bullmq ${installedVersion('bullmq')})`, W13: redis.w13 });
  } catch (error) {
    redisUnavailable = `bullmq did not load: ${errorMessage(error)}`;
  }
}
if (redisUnavailable && (!only || only.includes('W13'))) console.log(`redis: unavailable (${redisUnavailable}); W13 is skipped`);
participants.push({ name: `${ipcMeasurers.map((measurer) => measurer.who).join(', ')} (interleaved)`, W12: (s) => interleaved(ipcMeasurers, s) });

// ---- settings ----
const W1_ITEMS = 100_000;
const settings: Settings = {
  quick,
  cores,
  w1Items: Array.from({ length: W1_ITEMS }, (_, index) => index),
  w1Reps: quick ? 1 : 3,
  w2Tasks: 4 * cores,
  w2Limit: 0, // calibrated before W2
  w2Rounds: quick ? 1 : 3,
  w2Serial: () => Number.NaN,
  startRuns: quick ? 5 : 10,
  w8Increments: quick ? 20_000 : 100_000,
  w9RoundTrips: quick ? 2_000 : 10_000,
  w10Futures: quick ? 2_000 : 10_000,
  w11Pairs: quick ? 1_000 : 5_000,
  w4Items: quick ? 20_000 : 100_000,
  w4WarmUp: 500,
  w4BigItems: quick ? 200 : 1_000,
  w4BigWarmUp: 20,
  w4BigBytes: 2 ** 20,
  w5RoundTrips: quick ? 2_000 : 10_000,
  w5WarmUp: 3_000, // fewer leave multiproc's round trip far above its steady state (~400 µs cold, ~30 µs after 1,000)
  w6Bytes: quick ? 16 * 2 ** 20 : 64 * 2 ** 20,
  w6Rounds: quick ? 1 : 3,
  w12Messages: quick ? 20_000 : 100_000,
  w12WarmUp: 2_000,
  w12RoundTrips: quick ? 2_000 : 10_000,
  w12RoundTripWarmUp: 2_000,
  w12Bytes: 64,
  w12Reps: quick ? 1 : 3,
  w12Modes: w12Modes ?? ipcModes.map((mode) => mode.id),
};

function timeBurn(limit: number): number {
  const started = performance.now();
  burn(limit);
  return performance.now() - started;
}

/** A limit for which burn(limit) takes about `targetMs` in this thread (cost grows about as limit ** 1.5). */
function calibrate(targetMs: number): { limit: number; ms: number } {
  let limit = 20_000;
  let ms = timeBurn(limit);
  while (ms < targetMs / 4) ms = timeBurn((limit *= 2));
  for (let step = 0; step < 2; step++) {
    limit = Math.max(1000, Math.round(limit * (targetMs / ms) ** (1 / 1.5)));
    ms = timeBurn(limit);
  }
  return { limit, ms };
}

let w2Calibration: { limit: number; ms: number } | undefined;

/** W2's N for ~250 ms tasks, and their serial time: calibrated once, for W2 and W13. */
function calibrateW2(): { limit: number; ms: number } {
  if (w2Calibration) return w2Calibration;
  w2Calibration = calibrate(250);
  settings.w2Limit = w2Calibration.limit;
  let cached: number | null = null;
  settings.w2Serial = () => (quick ? (cached ??= serialMs()) : serialMs());
  return w2Calibration;
}

function serialMs(): number {
  let total = 0;
  for (let task = 0; task < settings.w2Tasks; task++) total += timeBurn(settings.w2Limit);
  return total;
}

/** A goal for multiproc against one peer figure: ratio (oriented as in the tables) at least `atLeast`. */
interface Target {
  text: string;
  /** null: each multiproc figure's own value (a speed-up) against `atLeast`. */
  peer: ((figure: Figure) => boolean) | null;
  atLeast: number;
  /** Each multiproc figure against the peer's figure of the same `what` only (W12's modes). */
  sameWhat?: boolean;
  /** With sameWhat: only the rows of this `what` (W5's object row has its own goal). */
  what?: string;
}

/** How a workload is described; one that measures in two units prints one table per unit. */
interface Method {
  title: string;
  method: string;
  notes?: string[];
  targets?: Target[];
  tables?: { unit: Unit; title: string; method: string; targets?: Target[] }[];
}

const count = (n: number) => n.toLocaleString('en-US');
const pythonPeer = (what: string) => (figure: Figure) => figure.who === `${python.name} spawn` && figure.what === what;

/** "target: ...: multiproc process 2.31x (met), multiproc thread 1.52x (missed)". */
function targetNote(target: Target, figures: readonly Figure[]): string {
  if (target.sameWhat) return sameWhatTargetNote(target, figures);
  const mine = figures.filter((figure) => isMultiproc(figure) && Number.isFinite(figure.value));
  if (!target.peer) {
    if (!mine.length) return `target: ${target.text}: not measured (no multiproc figure).`;
    const verdicts = mine.map((figure) => `${label(figure)} ${figure.value.toFixed(2)} (${figure.value >= target.atLeast ? 'met' : 'missed'})`);
    return `target: ${target.text}: ${verdicts.join(', ')}.`;
  }
  const isPeer = target.peer;
  const peer = figures.find((figure) => isPeer(figure) && Number.isFinite(figure.value));
  if (!peer || !mine.length) return `target: ${target.text}: not measured (${peer ? 'no multiproc figure' : 'no peer figure'}).`;
  const verdicts = mine.map((figure) => {
    const value = ratio(figure, peer);
    return `${label(figure)} ${formatRatio(value)} (${value >= target.atLeast ? 'met' : 'missed'})`;
  });
  return `target: ${target.text}, i.e. at least ${formatRatio(target.atLeast)} vs ${label(peer)}: ${verdicts.join(', ')}.`;
}

/** "target: ...: POSIX message queue 1.31x (met), FIFO 0.82x (missed), ...", each row against the peer's figure of that row. */
function sameWhatTargetNote(target: Target, figures: readonly Figure[]): string {
  const verdicts = figures
    .filter((figure) => isMultiproc(figure) && Number.isFinite(figure.value) && (target.what === undefined || figure.what === target.what))
    .map((mine) => {
      const peer = figures.find((figure) => target.peer?.(figure) && figure.what === mine.what && Number.isFinite(figure.value));
      if (!peer) return `${mine.what}: not compared (no peer figure)`;
      const value = ratio(mine, peer);
      // A row's own goal names the participant (W5: process and thread); W12's the mode.
      return `${target.what === undefined ? mine.what : mine.who} ${formatRatio(value)} (${value >= target.atLeast ? 'met' : 'missed'})`;
    });
  return `target: ${target.text}: ${verdicts.length ? verdicts.join(', ') : 'not measured (no multiproc figure)'}.`;
}

/** W13: the redis context, a table for the tiny tasks (items/s) and one for the CPU tasks (speed-up). */
function w13Method(): Method {
  const calibration = calibrateW2();
  const items = count(settings.w1Items.length);
  const reps = settings.w1Reps > 1 ? `median of ${settings.w1Reps}` : '1 run';
  return {
    title: 'W13: the redis context, 2 `multiproc worker` processes and a redis-server on this machine',
    method: '',
    notes: redisUnavailable ? [`redis: unavailable (${redisUnavailable}).`] : [],
    tables: [
      {
        unit: 'items/s',
        title: `W13a: ${items} tiny tasks (x => x * 2) through Redis, 2 worker processes (items/s, ${reps})`,
        method:
          'A private redis-server on a free loopback port (no RDB, no append-only file), started and stopped by the bench. ' +
          "multiproc: 2 `multiproc worker --concurrency 1` processes (one local task process each), then `new Pool({ context: 'redis', url }).map(double, items)` " +
          `with its automatic chunks (planned for 16 workers: 64 jobs of ${count(Math.ceil(settings.w1Items.length / 64))} items); ` +
          'raw BullMQ: 2 processes each running a `Worker` of concurrency 1 that doubles the items of a job, ' +
          `and the same items added with \`queue.addBulk\` as jobs of 100 items (removeOnComplete), timed until \`QueueEvents\` reported the last one completed. ` +
          'Both warmed with 1,000 items first; only the calls are timed. The details give what Redis did per job over the timed runs ' +
          '(INFO stats and commandstats before and after: commands, Lua commands inside BullMQ\'s scripts included, and bytes in and out on all connections, the workers\' included).',
        targets: [{ text: "multiproc >= raw BullMQ's items/s", peer: (figure) => figure.who === 'raw BullMQ', atLeast: 1 }],
      },
      {
        unit: 'speed-up',
        title: `W13b: speed-up of ${settings.w2Tasks} CPU tasks of ~250 ms through Redis on 2 worker processes`,
        method:
          `W2's tasks (N = ${calibration.limit.toLocaleString('en-US')}, ${calibration.ms.toFixed(0)} ms each in the harness's thread at calibration) through the same Redis Pool and 2 workers, one task per job (\`chunkSize: 1\`); ` +
          `speed-up = their serial time in the harness's thread / their time through Redis, median of ${settings.w2Rounds} round${settings.w2Rounds > 1 ? 's' : ''}, as W2.`,
        targets: [{ text: 'speed-up at least 1.70 on 2 worker processes', peer: null, atLeast: 1.7 }],
      },
    ],
  };
}

/** W12: a row per mode in each table, each compared with Python and C on the same mode. */
function w12Method(): Method {
  const b = settings.w12Bytes;
  const sameMode = (text: string): Target => ({ text, peer: (figure) => figure.who === python.name, atLeast: 1, sameWhat: true });
  return {
    title: 'W12: the Unix IPC modes between two processes',
    method: '',
    notes: [
      compiler ? `C: ${compiler}, bench/c/ipc-loop.c compiled with -O2 into a temporary directory.` : 'C: skipped (no C compiler: cc not found).',
      // Round trips between two processes depend on both getting a core at once: the load says how likely that was.
      `Load average when W12 started: ${loadavg()[0].toFixed(1)} (1 min) on ${cores} cores.`,
    ],
    tables: [
      {
        unit: 'msg/s',
        title: `W12a: ${count(settings.w12Messages)} messages of ${b} bytes one way, through each mode (msg/s)`,
        method:
          `A child sends ${count(settings.w12WarmUp)} messages of ${b} bytes untimed, waits for a go signal, then sends ${count(settings.w12Messages)} more; this process receives them all, timed from the go to the last byte: msg/s = ${count(settings.w12Messages)} / that time${settings.w12Reps > 1 ? `, the median of ${settings.w12Reps} runs, each with a new child. The participants' runs are interleaved mode by mode (run 1 of each, then run 2 of each...), so that a change in the machine's load weighs on all alike` : ''}. ` +
          'A message is one send: `mq_send`, `msgsnd`, one `write` on a pipe, FIFO or socket, one `sendBytes` on a Connection. Queues and Connections are received one message at a time; the byte streams (pipe, FIFO, socket pair) as they come, up to 64 KiB a read, as a stream reader does. ' +
          'POSIX queues hold 10 messages of 64 bytes (the default limit for a user); System V queues the default 16 KiB; one System V queue carries both directions, the message type telling which. ' +
          'multiproc: `multiproc/ipc`\'s `PosixMessageQueue` (`send`/`receive`), `SysVMessageQueue` (`send`/`receive({ type })`), `mkfifo`/`openFifo` and `pipe()` (a Writable\'s `write`, a Readable\'s data events), `socketPair()` (`sendBytes`/`recvBytes`), and the root\'s `Pipe()` (`sendBytes`/`recvBytes`); the child is a multiproc `Process`, given the names, key and paths of the named modes (it opens them as any program would) and the unnamed ends as handles; go is an `Event`. ' +
          "Python (a forked child): `os.pipe`, `os.mkfifo` (`os.write`/`os.read`), `socket.socketpair` (`sendall`/`recv`), `mq_open`/`mq_send`/`mq_receive` from libc through ctypes, `sysv_ipc`, and `multiprocessing.Pipe()` (`send_bytes`/`recv_bytes`). " +
          'C: the same loops on the system calls (bench/c/ipc-loop.c, a forked child); no C row for Pipe(), which is multiproc\'s own.',
        targets: [sameMode('each mode at least as fast as Python driving the same mode')],
      },
      {
        unit: 'µs',
        title: `W12b: ping-pong of ${b} bytes through each mode (µs per round trip, ${count(settings.w12RoundTrips)} round trips)`,
        method:
          `This process sends ${b} bytes, the child receives them and sends them back; ${count(settings.w12RoundTripWarmUp)} round trips untimed, then ${count(settings.w12RoundTrips)} timed${settings.w12Reps > 1 ? `; the median of ${settings.w12Reps} interleaved runs` : ''}. ` +
          'One-way modes use two objects, one each way (two pipes, two FIFOs, two POSIX queues); the System V queue one, with a message type per direction; the socket pair and Pipe() are two-way. Same participants and calls as W12a.',
        targets: [sameMode('each mode\'s round trip at most Python\'s on the same mode')],
      },
    ],
  };
}

const methods: Record<WorkloadId, () => Method> = {
  W1: () => ({
    title: `W1: ${W1_ITEMS.toLocaleString('en-US')} tiny tasks (x => x * 2) on 2 workers`,
    method:
      `Items per second of one call over all ${W1_ITEMS.toLocaleString('en-US')} items, median of ${settings.w1Reps}; the pool is started and warmed first and only the call is timed. ` +
      'multiproc: `Pool({ processes: 2 }).map(double, items)` with default chunks and `{ chunkSize: 1 }`. ' +
      'piscina `run`, tinypool `run`, workerpool `exec` (worker threads): one task per item, all submitted at once, `Promise.all`. ' +
      "Python: `get_context('spawn').Pool(2).map(double, items)` with default chunks and `chunksize=1`.",
  }),
  W2: () => {
    const calibration = calibrateW2();
    return {
      title: `W2: speed-up of ${settings.w2Tasks} CPU tasks of ~250 ms on ${cores} cores`,
      method:
        `Each task counts the primes below N by trial division. Speed-up = serial time of the ${settings.w2Tasks} tasks in one thread / time of the same tasks on a warm pool of ${cores} workers (one task per message), ` +
        `median of ${settings.w2Rounds} round${settings.w2Rounds > 1 ? 's' : ''}, each library against its own serial time: the JavaScript participants against the same tasks run in the harness's thread${quick ? ' (measured once)' : ' right before each parallel run'}, ` +
        'Python against the same tasks run serially in Python (which calibrates its own N to ~250 ms).',
      notes: [`N = ${calibration.limit.toLocaleString('en-US')}: one task took ${calibration.ms.toFixed(0)} ms in the harness's thread at calibration.`],
    };
  },
  W3: () => ({
    title: `W3: create a pool of 2, run one task, close it (ms, median of ${settings.startRuns})`,
    method:
      'multiproc: `new Pool({ processes: 2 })`, `map(double, [1])`, `close()`, `await join()`. piscina, tinypool, workerpool: create with 2 threads, run one task, `destroy()`/`terminate()`. ' +
      "Python: `get_context(m).Pool(2)`, `map(double, [1])`, `close()`, `join()`, with m = 'spawn' (the comparison) and 'fork' (reference).",
  }),
  W4: () => ({
    title: 'W4: one producer, one consumer in two processes, through a queue',
    method: '',
    tables: [
      {
        unit: 'msg/s',
        title: `W4a: one producer, one consumer: ${count(settings.w4Items)} small ints through a queue (msg/s)`,
        method:
          `A child puts ${count(settings.w4WarmUp)} messages untimed, waits for a go signal, then puts ${count(settings.w4Items)} small ints (0, 1, 2...); this process gets them all. ` +
          `Timed from the go signal (right before the first timed put) to the last get: msg/s = ${count(settings.w4Items)} / that time. ` +
          'multiproc: `new Queue()` passed to a `Process` of the context, `await queue.put(i)` there and `await queue.get()` here; go is an `Event`. ' +
          "Python: `get_context('spawn')`, a `Queue()` (`put`/`get`) and, as a second row, a `Pipe()` (`send`/`recv`); both pickle; go is an `Event`. " +
          "Raw Node: a `child_process.fork` child with `serialization: 'advanced'` (`process.send`, 'message' events) and a `worker_threads` Worker (`postMessage`); go is a message. " +
          "No sender waits for room: the queues and Node's channels are unbounded (Python's Pipe blocks its sender while the OS pipe is full).",
        targets: [{ text: "multiproc >= 2x Python's Queue", peer: pythonPeer('Queue'), atLeast: 2 }],
      },
      {
        unit: 'MB/s',
        title: `W4b: one producer, one consumer: ${count(settings.w4BigItems)} messages of 1 MB through a queue (MB/s)`,
        method:
          `As W4a, with ${count(settings.w4BigWarmUp)} untimed then ${count(settings.w4BigItems)} timed messages of 1 MB each: one Buffer of ${count(settings.w4BigBytes)} bytes (Python: a bytes object), put again and again. ` +
          `MB/s counts 1 MB as ${count(settings.w4BigBytes)} bytes. The raw Node peers send the Buffer (fork: advanced serialization; worker_threads: copied, not transferred).`,
        targets: [{ text: "multiproc >= Python's Queue", peer: pythonPeer('Queue'), atLeast: 1 }],
      },
    ],
  }),
  W5: () => {
    const [int, object] = W5_MESSAGES;
    const samePython = (text: string, what: string, atLeast: number): Target => ({ text, peer: pythonPeer(what), atLeast, sameWhat: true, what });
    return {
      title: `W5: Pipe ping-pong between two processes (µs per round trip, ${count(settings.w5RoundTrips)} round trips)`,
      method:
        `This process sends a message through one end of a two-way Pipe; a child receives it at the other end and sends it back: first a small int (i), then a small object { i, s: 'x' } (Python: the dict {'i': i, 's': 'x'}), each with its own ${count(settings.w5WarmUp)} round trips of warm-up (a few hundred leave the JavaScript participants far from their steady state), then ${count(settings.w5RoundTrips)} timed. ` +
        "multiproc: `Pipe()`, `end.send(message)` / `await end.recv()`, the child a `Process` of the context. Python: `get_context('spawn').Pipe()`, `send`/`recv`. " +
        "Raw Node: the same over a `child_process.fork` IPC channel (`serialization: 'advanced'`) and a `worker_threads` Worker's `postMessage`.",
      targets: [
        samePython("small int: multiproc's round trip <= Python's Pipe", int.what, 1),
        samePython("small object: multiproc's round trip <= 1/3 of Python's Pipe", object.what, 3),
      ],
    };
  },
  W6: () => ({
    title: `W6: ${mib(settings.w6Bytes)} to a child and back through a Pipe (ms per round trip, ${settings.w6Rounds > 1 ? `median of ${settings.w6Rounds}` : '1 round'})`,
    method:
      `A Buffer of ${count(settings.w6Bytes)} bytes goes to a child through a Pipe and comes back (the child sends back what it received); one untimed round trip, then ${settings.w6Rounds} timed${settings.w6Rounds > 1 ? ' (median)' : ''}. ` +
      "multiproc: `Pipe()`, `send(buffer)` / `await recv()` (a structured clone of the Buffer). Python: `get_context('spawn').Pipe()`, `send_bytes`/`recv_bytes` of a bytes object (not pickled). " +
      "Raw Node: `child_process.fork` IPC with `serialization: 'advanced'` sending the Buffer, and `worker_threads` `postMessage(buffer)` (copied, not transferred).",
    targets: [{ text: "multiproc's round trip <= half of Python's Pipe", peer: pythonPeer('Pipe send_bytes/recv_bytes'), atLeast: 2 }],
  }),
  W7: () => ({
    title: `W7: start and join an empty process (ms, median of ${settings.startRuns})`,
    method:
      "multiproc: `getContext(c).Process({ target: noop })`, `start()`, `await join()` (in the 'thread' context the child is a worker thread). " +
      "Raw Node: `child_process.fork` of an empty module, until its exit. Python: `get_context(m).Process(target=noop)`, `start()`, `join()`, with m = 'spawn' (the comparison) and 'fork' (reference).",
  }),
  W8: () => ({
    title: `W8: 4 workers each incrementing one shared Value ${settings.w8Increments.toLocaleString('en-US')} times under its lock (ops/s)`,
    method:
      "multiproc: `new Value('i', 0)` passed to a warm `Pool({ processes: 4 })`; each task loops `await lock.acquire(); v.value += 1; lock.release()`, timed from dispatch to the last result. " +
      "Python: `get_context('spawn').Value('i', 0)` and 4 Processes looping `with v.get_lock(): v.value += 1`, timed from a Barrier all of them reach after start-up. The total is checked to be exact.",
  }),
  W9: () => ({
    title: `W9: Event ping-pong between two processes (µs per round trip, ${settings.w9RoundTrips.toLocaleString('en-US')} round trips)`,
    method:
      'This process sets `ping` and waits for `pong`; a child waits for `ping`, clears it and sets `pong`. multiproc: `Event` over shared memory (a short spin, then a futex); Python: `get_context(\'spawn\').Event()`. 100 round trips of warm-up first.',
  }),
  W10: () => ({
    title: `W10: executor.submit of ${count(settings.w10Futures)} trivial calls, then awaiting every result (futures/s)`,
    method:
      'An executor of 2 workers; every call submitted at once, then each future\'s result awaited in order; one untimed round first. ' +
      "multiproc: `ProcessPoolExecutor` (process context) and `ThreadPoolExecutor` (thread context: worker threads) with `submit(double, i)`. " +
      "Python: `concurrent.futures.ProcessPoolExecutor(2, mp_context=get_context('spawn'))` and `ThreadPoolExecutor(2)` (threads of the same interpreter) with `submit(double, i)`.",
    targets: [
      { text: "ProcessPoolExecutor >= 2x Python's", peer: (figure) => figure.who === `${python.name} spawn` && figure.what === 'ProcessPoolExecutor', atLeast: 2 },
      { text: "ThreadPoolExecutor >= 2x Python's", peer: (figure) => figure.who === python.name && figure.what === 'ThreadPoolExecutor', atLeast: 2 },
    ],
  }),
  W11: () => ({
    title: `W11: a manager dict, set and get from two processes (ops/s, ${count(4 * settings.w11Pairs)} calls)`,
    method:
      'A manager is started; two children each wait for a go Event, then set and get their own key of one manager dict, one call after the other; timed from go until both exit. ' +
      "multiproc: `await Manager()` and `manager.dict()`, children in the given context. Python: `get_context('spawn').Manager().dict()` and two spawn Processes.",
    targets: [{ text: "multiproc >= Python's", peer: pythonPeer('Manager().dict()'), atLeast: 1 }],
  }),
  W12: w12Method,
  W13: w13Method,
};

// ---- run ----
const startedAll = performance.now();
const sections: Section[] = [];
let failures = 0;
for (const id of WORKLOADS) {
  if (only && !only.includes(id)) continue;
  console.log(`\n${id}: running...`);
  const { title, method, notes = [], targets = [], tables } = methods[id]();
  const section: Section = { id, title, method, figures: [], notes: [...notes], byWhat: id === 'W12' || id === 'W5' };
  if (multiprocUnavailable) section.notes.unshift(`multiproc: unavailable (${multiprocUnavailable}).`);
  if (!pythonVersion) section.notes.push('python: skipped (python3 not found).');
  if (!compiled && participants.some((participant) => participant.name.startsWith('multiproc')))
    section.notes.push("Run under tsx: multiproc's children and threads load the TypeScript loader too (the peers' do not).");
  for (const participant of participants) {
    const job = participant[id];
    if (!job) continue;
    let figures: Figure[] = [];
    const ms = await timeMs(async () => {
      try {
        figures = await job(settings);
      } catch (error) {
        failures++;
        section.notes.push(`${participant.name}: failed (${errorMessage(error)}).`);
      }
    });
    section.figures.push(...figures);
    // A participant with several measurements shows a failed one as its row (no value, the error in details).
    const failed = figures.filter((figure) => figure.error).length;
    failures += failed;
    const outcome = !figures.length ? 'FAILED' : failed ? `done, ${failed} of ${figures.length} FAILED` : 'done';
    console.log(`  ${participant.name}: ${outcome} in ${(ms / 1000).toFixed(1)} s`);
  }
  const parts: { section: Section; targets: Target[] }[] = tables
    ? tables.map((table, index) => ({
        section: {
          ...section,
          id: `${id}${String.fromCharCode(97 + index)}`,
          title: table.title,
          method: table.method,
          figures: section.figures.filter((figure) => figure.unit === table.unit),
          notes: [...section.notes],
        },
        targets: table.targets ?? [],
      }))
    : [{ section, targets }];
  for (const part of parts) {
    for (const target of part.targets) part.section.notes.push(targetNote(target, part.section.figures));
    sections.push(part.section);
    printSection(part.section);
  }
}

// ---- BENCHMARKS.md ----
const target = out ? (isAbsolute(out) ? out : resolve(process.cwd(), out)) : !only && !quick ? join(rootDir, 'BENCHMARKS.md') : null;
if (target) {
  const command = compiled ? `npm run bench${quick ? ' -- --quick' : ''}` : `node --import tsx bench/run.ts${quick ? ' --quick' : ''}`;
  writeFileSync(target, markdown(machine, sections, command));
  console.log(`\nwrote ${relative(process.cwd(), target) || target}`);
} else console.log('\nBENCHMARKS.md not written (--quick or --only: pass --out FILE to write these tables)');
console.log(`total ${((performance.now() - startedAll) / 1000).toFixed(1)} s`);

// ---- no child left behind ----
/** Live children of this process (Linux /proc; empty elsewhere). */
function childPids(): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
  return entries
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(ppid) === process.pid && state !== 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

// multiproc's resource tracker (memory/tracker-main, started by the first Pipe or Queue) lives as
// long as the process tree by design, as Python's resource_tracker does: it ignores SIGTERM, and
// unlinks what is left in /dev/shm once this process has exited, then exits. Listed, not ended.
const isTracker = (pid: number) => /tracker-main\.[jt]s\b/.test(commandLine(pid));

// Idle children a library keeps (multiproc's spares) should end on their own within seconds.
const ourChildren = () => childPids().filter((pid) => !childrenAtStart.has(pid) && !isTracker(pid));
for (let waited = 0; ourChildren().length && waited < 5000; waited += 250) await new Promise((done) => setTimeout(done, 250));
const trackers = childPids().filter((pid) => !childrenAtStart.has(pid) && isTracker(pid));
if (trackers.length) {
  const how = trackers.length > 1 ? `warning: ${trackers.length} multiproc resource trackers (one per process tree is expected)` : "multiproc's resource tracker";
  console.log(`${how} still running; ${trackers.length > 1 ? 'they exit on their own' : 'it exits on its own'} once this process has: pid ${trackers.join(', ')}`);
}
const leftover = ourChildren();
if (leftover.length) {
  const described = leftover.map((pid) => `${pid} ${commandLine(pid).slice(0, 160)}`.trimEnd());
  console.log(`warning: ${leftover.length} child process(es) still running 5 s after the last workload, terminating them:\n  ${described.join('\n  ')}`);
  for (const pid of leftover) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}
process.exitCode = failures ? 1 : 0;
// Everything was destroyed: if some handle still keeps the loop alive, say so and exit anyway.
setTimeout(() => {
  console.log('warning: the event loop was still busy 3 s after the last workload; exiting');
  process.exit();
}, 3000).unref();
