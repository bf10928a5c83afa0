// Whether the holder of something shared (a lock, an end of a pipe) is still alive, asked from
// any process. A process is its pid; a thread is its OS thread id (tid; a process's main thread
// has tid = pid) with its start time, so that a tid the kernel reused for a new thread is not
// mistaken for the holder. Both come from /proc, which every process of the tree can read, so
// no table private to one process is needed: a worker thread that was terminated, or died by
// process.exit, is dead to everyone the moment the kernel removes it.

import { readlinkSync } from 'node:fs';
import { loadNative } from '../native/loader.js';
import { readProcStat } from './proc-stat.js';

/** The largest tid (or pid) Linux hands out (pid_max's ceiling). */
export const MAX_TID = 2 ** 22;

/** A thread as other processes can name it. */
export interface ThreadIdentity {
  /** The OS thread id. */
  readonly tid: number;
  /** Its start time (clock ticks since boot, field 22 of /proc/<tid>/stat), truncated to 32 bits. */
  readonly start: number;
}

/** /proc/<tid>/stat's state and start time (truncated to 32 bits); null when no such thread exists (any more). */
function readStat(path: string): { state: string; start: number } | null {
  const stat = readProcStat(path);
  return stat && { state: stat.state, start: Number(stat.startTicks) >>> 0 };
}

let self: ThreadIdentity | undefined;

/**
 * This thread's identity, read once per thread (module state is per thread). Synchronous fs
 * calls run on the calling thread, so /proc/thread-self is this thread, not a libuv worker.
 */
export function thisThread(): ThreadIdentity {
  if (self) return self;
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  const stat = readStat('/proc/thread-self/stat');
  if (!Number.isInteger(tid) || tid <= 0 || tid > MAX_TID || !stat) {
    throw new Error(`multiproc: cannot read this thread's id from /proc/thread-self (read ${tid}); multiproc needs Linux's /proc.`);
  }
  self = { tid, start: stat.start };
  return self;
}

/**
 * True while thread `tid` exists, is not a zombie, and (when `start` is not 0) started at
 * `start`: a tid reused by a newer thread answers with another start time.
 */
export function isThreadAlive(tid: number, start: number): boolean {
  if (!Number.isInteger(tid) || tid <= 0 || tid > MAX_TID) return false;
  const stat = readStat(`/proc/${tid}/stat`);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return start === 0 || stat.start === start >>> 0;
}

/** True while a process exists and is not a zombie (a holder that was SIGKILLed and not reaped yet). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const native = loadNative();
  if (native) return native.isProcessAlive(pid);
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readStat(`/proc/${pid}/stat`);
  return stat === null || (stat.state !== 'Z' && stat.state !== 'X');
}

/** True when thread `tid` belongs to this process. */
export function isThreadOfThisProcess(tid: number): boolean {
  if (tid === thisThread().tid || tid === process.pid) return true;
  return Number.isInteger(tid) && tid > 0 && readStat(`/proc/self/task/${tid}/stat`) !== null;
}
