// Python's multiprocessing, run by bench/python/bench.py in a python3 child per workload (its
// interpreter start is not timed: the script times itself and prints JSON). Skipped when python3
// is absent.
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { IpcMeasurer, IpcMode } from '../ipc-modes.ts';
import {
  benchDir,
  failedFigure,
  type Figure,
  roundTripsFigure,
  type Settings,
  speedupFigure,
  startTimesFigure,
  streamFigure,
  throughputTimesFigure,
  W5_MESSAGES,
} from '../measure.ts';

export const name = 'python';
const script = join(benchDir, 'python', 'bench.py');
const ipcScript = join(benchDir, 'python', 'ipc.py');
const run = promisify(execFile);

/** python3's version ('3.11.7'), or null when there is no python3. */
export function pythonVersion(): string | null {
  try {
    return execFileSync('python3', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }).trim().replace(/^Python\s*/, '');
  } catch {
    return null;
  }
}

/** Runs `interpreter script workload ...args` and parses the last line it prints as JSON. */
async function runScript<T>(interpreter: string, path: string, workload: string, args: readonly (string | number)[]): Promise<T> {
  try {
    // The timeout sends SIGTERM, which the scripts turn into an exit that ends their children and removes what they created.
    const { stdout } = await run(interpreter, [path, workload, ...args.map(String)], { encoding: 'utf8', timeout: 150_000, maxBuffer: 1 << 24 });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T;
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    const last = stderr?.trim().split('\n').at(-1);
    throw last ? new Error(`${interpreter} ${workload}: ${last}`) : error;
  }
}

function python<T>(workload: string, ...args: number[]): Promise<T> {
  return runScript('python3', script, workload, args);
}

/** W1: spawn Pool(2).map, default chunks and chunksize=1, the pool started and warmed. */
export async function w1(s: Settings): Promise<Figure[]> {
  const out = await python<{ default_ms: number[]; chunk1_ms: number[] }>('W1', s.w1Items.length, s.w1Reps);
  const n = s.w1Items.length;
  return [throughputTimesFigure(name, 'default chunks', n, out.default_ms), throughputTimesFigure(name, 'chunksize=1', n, out.chunk1_ms)];
}

/** W2: Python calibrates its own ~250 ms task and times its own serial run. */
export async function w2(s: Settings): Promise<Figure[]> {
  const out = await python<{ limit: number; task_ms: number; serial_ms: number[]; parallel_ms: number[] }>('W2', 250, s.w2Tasks, s.cores, s.w2Rounds);
  const rounds = out.serial_ms.map((serial, round) => ({ serial, parallel: out.parallel_ms[round] }));
  return [speedupFigure(name, rounds, `; Python's N = ${out.limit.toLocaleString('en-US')} (${Math.round(out.task_ms)} ms a task)`)];
}

/** W3: Pool(2), one task, close and join; spawn (the comparison) and fork (for reference). */
export async function w3(s: Settings): Promise<Figure[]> {
  const out = await python<{ spawn_ms: number[]; fork_ms: number[] }>('W3', s.startRuns);
  return startFigures(out);
}

/** W7: Process(target=noop).start() and join(); spawn and fork. */
export async function w7(s: Settings): Promise<Figure[]> {
  const out = await python<{ spawn_ms: number[]; fork_ms: number[] }>('W7', s.startRuns);
  return startFigures(out);
}

function startFigures(out: { spawn_ms: number[]; fork_ms: number[] }): Figure[] {
  return [startTimesFigure(`${name} spawn`, out.spawn_ms), { ...startTimesFigure(`${name} fork`, out.fork_ms), reference: true }];
}

/** W8: four spawn processes add to a Value under its lock; timed from a barrier they all reach. */
export async function w8(s: Settings): Promise<Figure[]> {
  const out = await python<{ ops_per_s: number; total: number }>('W8', 4, s.w8Increments);
  return [{ who: `${name} spawn`, value: out.ops_per_s, unit: 'ops/s', detail: `total ${out.total}` }];
}

/** W9: ping-pong through two Events with a spawn child. */
export async function w9(s: Settings): Promise<Figure[]> {
  const out = await python<{ round_trip_us: number }>('W9', s.w9RoundTrips);
  return [{ who: `${name} spawn`, value: out.round_trip_us, unit: 'µs' }];
}

type Part = { ms: number } | { error: string };

/** W4: a spawn child produces, this process consumes, through a Queue and through a Pipe (send/recv); small ints, then 1 MB messages. */
export async function w4(s: Settings): Promise<Figure[]> {
  const out = await python<Record<'queue_ints' | 'queue_big' | 'pipe_ints' | 'pipe_big', Part>>('W4', s.w4WarmUp, s.w4Items, s.w4BigWarmUp, s.w4BigItems, s.w4BigBytes);
  const figure = (part: Part, what: string, unit: 'msg/s' | 'MB/s', count: number, bytes: number) =>
    'ms' in part ? streamFigure(`${name} spawn`, what, unit, count, bytes, part.ms) : failedFigure(`${name} spawn`, what, unit, part.error);
  return [
    figure(out.queue_ints, 'Queue', 'msg/s', s.w4Items, 0),
    figure(out.pipe_ints, 'Pipe', 'msg/s', s.w4Items, 0),
    figure(out.queue_big, 'Queue', 'MB/s', s.w4BigItems, s.w4BigBytes),
    figure(out.pipe_big, 'Pipe', 'MB/s', s.w4BigItems, s.w4BigBytes),
  ];
}

/** W5: ping-pong of a small int, then of a small dict, through a Pipe with a spawn child that sends each back. */
export async function w5(s: Settings): Promise<Figure[]> {
  const out = await python<{ int_round_trip_us: number; object_round_trip_us: number }>('W5', s.w5WarmUp, s.w5RoundTrips);
  const [int, object] = W5_MESSAGES;
  return [
    { who: `${name} spawn`, what: int.what, value: out.int_round_trip_us, unit: 'µs' },
    { who: `${name} spawn`, what: object.what, value: out.object_round_trip_us, unit: 'µs' },
  ];
}

/** W6: w6Bytes to a spawn child and back through a Pipe with send_bytes/recv_bytes. */
export async function w6(s: Settings): Promise<Figure[]> {
  const out = await python<{ round_trip_ms: number[] }>('W6', s.w6Bytes, s.w6Rounds);
  return [roundTripsFigure(`${name} spawn`, 'Pipe send_bytes/recv_bytes', s.w6Bytes, out.round_trip_ms)];
}

/** W10: submit trivial calls to ProcessPoolExecutor (spawn) and ThreadPoolExecutor, then await them. */
export async function w10(s: Settings): Promise<Figure[]> {
  const out = await python<{ process_per_s: number; thread_per_s: number }>('W10', s.w10Futures);
  return [
    { who: `${name} spawn`, what: 'ProcessPoolExecutor', value: out.process_per_s, unit: 'futures/s' },
    { who: name, what: 'ThreadPoolExecutor', value: out.thread_per_s, unit: 'futures/s' },
  ];
}

/** W11: two spawn processes set and get their own key of one Manager().dict(). */
export async function w11(s: Settings): Promise<Figure[]> {
  const out = await python<{ ops_per_s: number }>('W11', s.w11Pairs);
  return [{ who: `${name} spawn`, what: 'Manager().dict()', value: out.ops_per_s, unit: 'ops/s' }];
}

/**
 * The interpreter that imports sysv_ipc, with its version: python3 first, then Debian's
 * /usr/bin/python3 (python3-sysv-ipc installs there only, not under another python3 first on
 * PATH); null when neither does.
 */
function sysvPython(): { interpreter: string; about: string } | null {
  for (const interpreter of ['python3', '/usr/bin/python3']) {
    try {
      const about = execFileSync(interpreter, ['-c', 'import sys, sysv_ipc; print(f"sysv_ipc {sysv_ipc.VERSION}, Python {sys.version.split()[0]}")'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 10_000,
      }).trim();
      return { interpreter, about: `${about} (${interpreter})` };
    } catch {
      // not importable there
    }
  }
  return null;
}

/** How each mode is driven from Python, for the details column. */
const ipcMeans: Record<IpcMode['id'], string> = {
  'posix-mq': 'ctypes mq_open/mq_send/mq_receive',
  'sysv-mq': 'sysv_ipc',
  fifo: 'os.mkfifo, os.write/os.read',
  pipe: 'os.pipe, os.write/os.read',
  socketpair: 'socket.socketpair, sendall/recv',
  'mp-pipe': 'multiprocessing.Pipe, send_bytes/recv_bytes',
};

let sysv: ReturnType<typeof sysvPython> | undefined;

/** W12: each mode driven from Python (bench/python/ipc.py) with a forked child. */
export const ipcMeasurer: IpcMeasurer = {
  who: name,
  covers: () => true,
  async unavailable(mode) {
    if (mode.id !== 'sysv-mq') return null;
    sysv ??= sysvPython();
    return sysv ? null : 'skipped: sysv_ipc imports neither under python3 nor /usr/bin/python3 (Debian: apt-get install python3-sysv-ipc)';
  },
  means: (mode) => (mode.id === 'sysv-mq' && sysv ? sysv.about : ipcMeans[mode.id]),
  async measure(mode, test, warmUp, count, size) {
    const interpreter = mode.id === 'sysv-mq' && sysv ? sysv.interpreter : 'python3';
    return (await runScript<{ ms: number }>(interpreter, ipcScript, mode.id, [test, warmUp, count, size])).ms;
  },
};
