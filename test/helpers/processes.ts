// Watching processes from outside through /proc: a test's children, whether a pid still runs, its
// command line, and waiting for an event that sends no notification. Imports nothing of multiproc,
// so the leak check can load it before the library.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';

/** Pids of this process's live children (zombies excluded). */
export function childPids(parent = process.pid): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === parent && fields[0] !== 'Z') pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** True while a process with this pid exists (and is not a zombie). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Waits until `condition` holds, checking every 20 ms, for at most `limitMs` (a generous
 * "does not hang" bound, for events that give no notification, like another process's death).
 */
export async function eventually(condition: () => boolean, limitMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/** The command line of a process, or '' when it is gone. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** Kills a spawned program after the test if it still runs, also when an assertion failed first, and waits for its exit. */
export function killAfter<T extends ChildProcess>(t: { after(fn: () => unknown): void }, child: T): T {
  const exited = once(child, 'exit');
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  });
  return child;
}

/** The child's exit code once it exits; the test kills it (killAfter) if it still runs at the end. */
export function exitCodeOf(t: { after(fn: () => unknown): void }, child: ChildProcess): Promise<number | null> {
  const exit = once(child, 'exit');
  killAfter(t, child);
  return exit.then(([code]) => code as number | null);
}

/** Every byte a stream gives until it ends. */
export async function readAll(readable: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
