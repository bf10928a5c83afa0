// The one reader of /proc/<pid>/stat (or a thread's: /proc/<tid>/stat, /proc/thread-self/stat):
// a process's or thread's state and start time, for the liveness checks (liveness.ts) and for
// naming a process for good in records sent to others (a pid with its start time: a pid the
// kernel reuses for a later process has another start time).

import { readFileSync } from 'node:fs';

export interface ProcStat {
  /** Field 3: R, S, D, Z (zombie), X (dead), T, t, I... */
  readonly state: string;
  /** Field 22: clock ticks since boot when it started, in decimal, as the kernel wrote it. */
  readonly startTicks: string;
}

const DECIMAL = /^[0-9]{1,20}$/;

/**
 * Fields 3.. of a stat line. The name (field 2, in parentheses) may itself hold spaces and
 * parentheses, and nothing after it can: the fields follow the LAST ')'. Null for text that is
 * not a stat line (a read cut short, say).
 */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(' ');
  const state = fields[0] ?? '';
  const startTicks = fields[19] ?? '';
  if (state.length !== 1 || !DECIMAL.test(startTicks)) return null;
  return { state, startTicks };
}

/**
 * The stat of `path` (a /proc/.../stat file), or null when there is no such process or thread:
 * it may end, and its entry vanish, between any two calls, so every caller must expect null.
 */
export function readProcStat(path: string): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    return null;
  }
  return parseProcStat(text);
}

/**
 * A process's start time (field 22 of /proc/<pid>/stat, decimal), or null when it is gone.
 * With the pid, it names one process for good.
 */
export function startTimeOf(pid: number): string | null {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  return readProcStat(`/proc/${pid}/stat`)?.startTicks ?? null;
}
