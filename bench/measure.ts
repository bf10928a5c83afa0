// Shared by the harness and every participant: where things are, timing, medians, settings.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/**
 * true when running tsc's output in .bench-tmp/ (package.json's `npm run bench`), false when
 * running the sources under a TypeScript loader (`node --import tsx bench/run.ts`).
 */
export const compiled = basename(here) === '.bench-tmp';
/** bench/ in the repository, whichever way the harness runs. */
export const benchDir = compiled ? join(here, '..', 'bench') : here;
export const rootDir = join(benchDir, '..');
/** The peers' plain JavaScript workers: no TypeScript loader needed in their threads. */
export const peerWorkers = join(benchDir, 'peers', 'workers');

/** Workload parameters, decided once by run.ts from the command line and the machine. */
export interface Settings {
  /** W8: increments per process (4 processes). */
  w8Increments: number;
  /** W9: round trips timed. */
  w9RoundTrips: number;
  /** W10: trivial calls submitted at once, then awaited. */
  w10Futures: number;
  /** W11: set+get pairs each of two processes makes on a manager dict. */
  w11Pairs: number;
  /** W4: small ints from a producer to a consumer, after `w4WarmUp` of them untimed. */
  w4Items: number;
  w4WarmUp: number;
  /** W4: messages of `w4BigBytes` bytes (1 MB), after `w4BigWarmUp` of them untimed. */
  w4BigItems: number;
  w4BigWarmUp: number;
  w4BigBytes: number;
  /** W5: Pipe round trips timed, after `w5WarmUp` untimed. */
  w5RoundTrips: number;
  w5WarmUp: number;
  /** W6: bytes sent to a child and back, and timed round trips (median) after one untimed. */
  w6Bytes: number;
  w6Rounds: number;
  /** W12: messages of `w12Bytes` bytes streamed one way after `w12WarmUp` untimed; round trips after `w12RoundTripWarmUp` untimed. */
  w12Messages: number;
  w12WarmUp: number;
  w12RoundTrips: number;
  w12RoundTripWarmUp: number;
  w12Bytes: number;
  /** W12: runs of each measurement (the median is the figure). */
  w12Reps: number;
  /** W12's modes to measure (`--modes`; all by default). */
  w12Modes: readonly string[];
  quick: boolean;
  /** Usable cores (os.availableParallelism()). */
  cores: number;
  /** W1: the items (0..n-1) and how many timed maps per participant (median). */
  w1Items: number[];
  w1Reps: number;
  /** W2: tasks of `burn(w2Limit)`, ~250 ms each, on `cores` workers. */
  w2Tasks: number;
  w2Limit: number;
  /** W2: serial-then-parallel rounds per participant (median speed-up). */
  w2Rounds: number;
  /** W2: the serial time (ms) of the same tasks in this thread, measured when called. */
  w2Serial: () => number;
  /** W3 and W7: timed runs per participant (median). */
  startRuns: number;
}

/** One measured figure of one participant. */
export interface Figure {
  /** 'multiproc process', 'piscina', 'python spawn'... multiproc's start with 'multiproc'. */
  who: string;
  /** What was measured when a participant has several figures ('map, chunkSize 1'). */
  what?: string;
  /** Shown for reference only (Python's fork start method): not the like-for-like comparison. */
  reference?: boolean;
  value: number;
  unit: Unit;
  /** Secondary facts: first run, serial and parallel times, calibration. */
  detail?: string;
  /** Set when this measurement failed: the value is NaN and the row shows the error. */
  error?: string;
}

/** items/s, ops/s, msg/s, futures/s, MB/s and speed-up: higher is better; ms and µs: lower is better. */
export type Unit = 'items/s' | 'ops/s' | 'msg/s' | 'futures/s' | 'MB/s' | 'speed-up' | 'ms' | 'µs';

/** A measurement that failed: a row with no value and the error in its details. */
export function failedFigure(who: string, what: string | undefined, unit: Unit, error: unknown): Figure {
  const message = errorMessage(error);
  return { who, what, value: Number.NaN, unit, detail: `failed: ${message}`, error: message };
}

/** Runs one measurement of a participant that has several: a failure becomes its own row, the others still run. */
export async function attempt(who: string, what: string | undefined, unit: Unit, measure: () => Promise<Figure>): Promise<Figure> {
  try {
    return await measure();
  } catch (error) {
    return failedFigure(who, what, unit, error);
  }
}

/** `work`, or a rejection naming `what` when it has not settled after `limitMs`. */
export async function within<T>(work: Promise<T>, limitMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${limitMs / 1000} s`)), limitMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** W4: a stream of messages timed from the first put to the last get. */
export function streamFigure(who: string, what: string | undefined, unit: 'msg/s' | 'MB/s', count: number, bytes: number, elapsedMs: number): Figure {
  const value = unit === 'msg/s' ? count / (elapsedMs / 1000) : (count * bytes) / 2 ** 20 / (elapsedMs / 1000);
  const detail = `${count.toLocaleString('en-US')} messages${bytes ? ` of ${mib(bytes)}` : ''} in ${ms(elapsedMs)}`;
  return { who, what, value, unit, detail };
}

/** W6: the median of the timed round trips (ms), each listed. */
export function roundTripsFigure(who: string, what: string | undefined, bytes: number, times: readonly number[]): Figure {
  const detail = `${mib(bytes)}; ${times.length > 1 ? `median of ${times.length}: ${times.map(ms).join(', ')}` : `1 round: ${ms(times[0])}`} (after 1 untimed)`;
  return { who, what, value: median(times), unit: 'ms', detail };
}

/** 1 MiB, 64 MiB, 512 KiB. */
export function mib(bytes: number): string {
  return bytes >= 2 ** 20 ? `${+(bytes / 2 ** 20).toFixed(2)} MiB` : `${+(bytes / 1024).toFixed(2)} KiB`;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Milliseconds taken by `fn` (performance.now()). */
export async function timeMs(fn: () => unknown): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** Runs `fn` `times` times, one after the other, and returns its results in order. */
export async function repeat<T>(times: number, fn: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let index = 0; index < times; index++) results.push(await fn(index));
  return results;
}

/** `runs` timed calls of `fn`: a start-up figure (W3, W7). */
export async function startFigure(who: string, runs: number, fn: () => Promise<unknown>): Promise<Figure> {
  return startTimesFigure(who, await repeat(runs, () => timeMs(fn)));
}

/** A start-up figure from its times (ms): the median, with the first (cold) run and the range. */
export function startTimesFigure(who: string, times: readonly number[], extra = ''): Figure {
  const detail = `median of ${times.length}; first ${ms(times[0])}, range ${ms(Math.min(...times))} to ${ms(Math.max(...times))}${extra}`;
  return { who, value: median(times), unit: 'ms', detail };
}

/** `reps` timed calls of `fn`, each processing `items` items: a throughput figure (W1). */
export async function throughputFigure(who: string, what: string, items: number, reps: number, fn: () => Promise<unknown>): Promise<Figure> {
  return throughputTimesFigure(who, what, items, await repeat(reps, () => timeMs(fn)));
}

/** A throughput figure from its times (ms): items/s of the median time. */
export function throughputTimesFigure(who: string, what: string, items: number, times: readonly number[]): Figure {
  const detail = `${times.length > 1 ? `median of ${times.length} maps` : '1 map'}: ${ms(median(times))}`;
  return { who, what, value: items / (median(times) / 1000), unit: 'items/s', detail };
}

/** One W2 round: the serial time of the tasks, then their parallel time (ms). */
export interface Round {
  serial: number;
  parallel: number;
}

/** W2: the median over rounds of serial / parallel, each round in the detail. */
export function speedupFigure(who: string, rounds: readonly Round[], extra = ''): Figure {
  const speedups = rounds.map(({ serial, parallel }) => serial / parallel);
  const each = rounds.map(({ serial, parallel }) => `${ms(serial)} / ${ms(parallel)}`).join(', ');
  const detail = `${rounds.length > 1 ? `median of ${rounds.length} rounds, ` : ''}serial / parallel: ${each}${extra}`;
  return { who, value: median(speedups), unit: 'speed-up', detail };
}

/** W2: `rounds` times, the serial time of the tasks in this thread right before their parallel run. */
export async function speedupRounds(s: Settings, parallel: () => Promise<unknown>): Promise<Round[]> {
  return repeat(s.w2Rounds, async () => ({ serial: s.w2Serial(), parallel: await timeMs(parallel) }));
}

export function ms(value: number): string {
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;
}

export function errorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0].slice(0, 200);
}

/** A dependency's installed version (its package.json in node_modules), or '?'. */
export function installedVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(rootDir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

/** W5's two messages: a small int (no serialization) and a small object, as programs send. */
export const W5_MESSAGES = [
  { what: 'Pipe, small int', make: (turn: number): unknown => turn, last: (back: unknown) => back },
  { what: "Pipe, small object { i, s: 'x' }", make: (turn: number): unknown => ({ i: turn, s: 'x' }), last: (back: unknown) => (back as { i: number }).i },
] as const;
