// Which worker threads of this process have ended. A thread has no pid of its own, so an object
// held by a thread (an end of a pipe) cannot be checked with kill(pid, 0); instead, every thread
// multiproc starts shares one table, and the thread that started a worker marks it ended when
// its 'exit' event fires, even after terminate(), when the worker itself could run no code.

import { threadId, workerData } from 'node:worker_threads';

const SLOTS = 16_384;
const TABLE_KEY = 'multiprocThreadTable';

/** Slot threadId % SLOTS holds -threadId once that thread ended. */
const table: Int32Array = adoptTable() ?? new Int32Array(new SharedArrayBuffer(SLOTS * 4));

function adoptTable(): Int32Array | null {
  const shared = (workerData as Record<string, unknown> | null)?.[TABLE_KEY];
  return shared instanceof SharedArrayBuffer ? new Int32Array(shared) : null;
}

/** What a new worker's workerData must carry so that it shares this process's table. */
export function threadTableData(): Record<string, SharedArrayBuffer> {
  return { [TABLE_KEY]: table.buffer as SharedArrayBuffer };
}

/** Called by the thread that started worker `id` when it exits. */
export function markThreadEnded(id: number): void {
  Atomics.store(table, id % SLOTS, -id);
}

/** False once thread `id` of this process ended (the main thread, 0, never does while we run). */
export function isThreadAlive(id: number): boolean {
  return id === 0 || id === threadId || Atomics.load(table, id % SLOTS) !== -id;
}
