// W12's message-passing modes, named once for every participant: `id` is what bench/python/ipc.py
// and bench/c/ipc-loop.c take on their command line, `label` the row of the tables.
import { median, repeat } from './measure.ts';

export interface IpcMode {
  id: 'posix-mq' | 'sysv-mq' | 'fifo' | 'pipe' | 'socketpair' | 'mp-pipe';
  label: string;
}

export const ipcModes: readonly IpcMode[] = [
  { id: 'posix-mq', label: 'POSIX message queue' },
  { id: 'sysv-mq', label: 'System V message queue' },
  { id: 'fifo', label: 'FIFO' },
  { id: 'pipe', label: 'unnamed pipe' },
  { id: 'socketpair', label: 'socket pair' },
  { id: 'mp-pipe', label: 'Pipe() (for comparison)' },
];

/** The two measurements of each mode: one-way stream (msg/s) and ping-pong (µs per round trip). */
export type IpcTest = 'stream' | 'pingpong';

/** The measurement's figure from its elapsed time: msg/s of a stream, µs per round trip of a ping-pong. */
export function ipcValue(test: IpcTest, count: number, elapsedMs: number): number {
  return test === 'stream' ? count / (elapsedMs / 1000) : (elapsedMs * 1000) / count;
}

/** A measurement (ms) taken `reps` times, one after the other: the median, and each time for the details column. */
export async function medianMs(reps: number, measure: () => Promise<number>): Promise<{ ms: number; detail: string }> {
  const times = await repeat(reps, measure);
  const each = times.map((ms) => ms.toFixed(1)).join(', ');
  return { ms: median(times), detail: reps > 1 ? `median of ${reps} runs of ${each} ms` : `1 run of ${each} ms` };
}
