// W12's physical limit: bench/c/ipc-loop.c, compiled with `cc -O2` into a temporary directory the
// first time it is needed (removed when the harness exits; no binary is ever kept), then run once
// per mode and measurement. Skipped, with a note, where there is no C compiler.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { IpcMeasurer, IpcTest } from '../ipc-modes.ts';
import { benchDir } from '../measure.ts';

export const name = 'C';
const source = join(benchDir, 'c', 'ipc-loop.c');
const run = promisify(execFile);

/** The C compiler's first line of `cc --version`, or null when there is none. */
export function compilerVersion(): string | null {
  try {
    return execFileSync('cc', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }).split('\n')[0].trim();
  } catch {
    return null;
  }
}

let binary: string | undefined;

/** Compiles ipc-loop.c once into a temporary directory removed at exit; returns the program's path. */
function compile(): string {
  if (binary) return binary;
  const folder = mkdtempSync(join(tmpdir(), 'multiproc-bench-c-'));
  process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
  const program = join(folder, 'ipc-loop');
  execFileSync('cc', ['-O2', '-o', program, source], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  binary = program;
  return program;
}

async function loop(mode: string, test: IpcTest, warmUp: number, count: number, bytes: number): Promise<number> {
  try {
    // The timeout sends SIGTERM, on which ipc-loop removes its queues and FIFOs (its child dies with it).
    const { stdout } = await run(compile(), [mode, test, String(warmUp), String(count), String(bytes)], { encoding: 'utf8', timeout: 120_000 });
    return (JSON.parse(stdout.trim()) as { ms: number }).ms;
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    const last = stderr?.trim().split('\n').at(-1);
    throw last ? new Error(last) : error;
  }
}

/** W12's physical limit: the same loops in C; multiproc's Pipe() has no C counterpart. */
export const measurer: IpcMeasurer = {
  who: name,
  covers: (mode) => mode.id !== 'mp-pipe',
  unavailable: async () => null,
  means: () => '',
  measure: (mode, test, warmUp, count, size) => loop(mode.id, test, warmUp, count, size),
};
