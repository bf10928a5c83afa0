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
  quick: boolean;
  /** Usable cores (os.availableParallelism()). */
  cores: number;
  /** W1: the items (0..n-1) and how many timed maps per participant (median). */
  w1Items: number[];
  w1Reps: number;
  /** W2: tasks of `burn(w2Limit)`, ~250 ms each, on `cores` workers. */
  w2Tasks: number;
  w2Limit: number;
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
  value: number;
  unit: Unit;
  /** Secondary facts: first run, serial and parallel times, calibration. */
  detail?: string;
}

/** items/s and speed-up: higher is better; ms: lower is better. */
export type Unit = 'items/s' | 'speed-up' | 'ms';

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

/** `runs` timed calls of `fn`: their median and the first (cold) one, for Figure.detail. */
export async function startFigure(who: string, runs: number, fn: () => Promise<unknown>): Promise<Figure> {
  const times = await repeat(runs, () => timeMs(fn));
  return { who, value: median(times), unit: 'ms', detail: `first ${ms(times[0])}, min ${ms(Math.min(...times))}, max ${ms(Math.max(...times))}` };
}

/** W1: items/s of the median of `reps` timed calls. */
export async function throughputFigure(who: string, what: string | undefined, items: number, reps: number, fn: () => Promise<unknown>): Promise<Figure> {
  const times = await repeat(reps, () => timeMs(fn));
  return { who, what, value: items / (median(times) / 1000), unit: 'items/s', detail: `median of ${reps} map${reps > 1 ? 's' : ''} of ${items.toLocaleString('en-US')}: ${ms(median(times))}` };
}

/** W2: serial / parallel, with both in the detail. */
export function speedupFigure(who: string, serialMs: number, parallelMs: number, extra = ''): Figure {
  return { who, value: serialMs / parallelMs, unit: 'speed-up', detail: `serial ${ms(serialMs)}, parallel ${ms(parallelMs)}${extra}` };
}

export function ms(value: number): string {
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
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
