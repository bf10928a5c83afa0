// W12's message-passing modes, named once for every participant: `id` is what bench/python/ipc.py
// and bench/c/ipc-loop.c take on their command line, `label` the row of the tables.
import { failedFigure, type Figure, median, type Settings } from './measure.ts';

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

/** One participant of W12: how it measures one run of one mode. */
export interface IpcMeasurer {
  who: string;
  /** Whether it has a row for `mode` at all (C has none for multiproc's own Pipe()). */
  covers(mode: IpcMode): boolean;
  /** Why `mode` cannot be measured here (its row shows the reason, no figure), or null. */
  unavailable(mode: IpcMode): Promise<string | null>;
  /** How it drives `mode`, for the details column. */
  means(mode: IpcMode): string;
  /** One run: the ms of `count` messages streamed after `warmUp`, or of `count` round trips after `warmUp`. */
  measure(mode: IpcMode, test: IpcTest, warmUp: number, count: number, size: number): Promise<number>;
}

/**
 * W12: every mode's stream and ping-pong, the participants' runs interleaved (for each mode, run
 * 1 of each participant, then run 2 of each, starting with the next participant each time), so
 * that a machine whose load changes during the workload weighs on every participant alike. The
 * figure is the median of the runs; a participant that fails a run has that row failed.
 */
export async function interleaved(measurers: readonly IpcMeasurer[], s: Settings): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const test of ['stream', 'pingpong'] as const) {
    const unit = test === 'stream' ? 'msg/s' : 'µs';
    const [warmUp, count] = test === 'stream' ? [s.w12WarmUp, s.w12Messages] : [s.w12RoundTripWarmUp, s.w12RoundTrips];
    for (const mode of ipcModes.filter((each) => s.w12Modes.includes(each.id))) {
      const taking = measurers.filter((measurer) => measurer.covers(mode));
      const reasons = new Map<IpcMeasurer, string | null>();
      for (const measurer of taking) reasons.set(measurer, await measurer.unavailable(mode));
      const times = new Map<IpcMeasurer, number[]>(taking.map((measurer) => [measurer, []]));
      const failures = new Map<IpcMeasurer, unknown>();
      for (let run = 0; run < s.w12Reps; run++) {
        for (let turn = 0; turn < taking.length; turn++) {
          const measurer = taking[(run + turn) % taking.length];
          if (reasons.get(measurer) || failures.has(measurer)) continue;
          try {
            times.get(measurer)?.push(await measurer.measure(mode, test, warmUp, count, s.w12Bytes));
          } catch (error) {
            failures.set(measurer, error);
          }
        }
      }
      for (const measurer of taking) {
        const { who } = measurer;
        const reason = reasons.get(measurer);
        const runs = times.get(measurer) ?? [];
        if (reason) figures.push({ who, what: mode.label, value: Number.NaN, unit, detail: reason });
        else if (failures.has(measurer)) figures.push(failedFigure(who, mode.label, unit, failures.get(measurer)));
        else {
          const each = runs.map((ms) => ms.toFixed(1)).join(', ');
          const means = measurer.means(mode);
          const detail = `${means ? `${means}; ` : ''}${runs.length > 1 ? `median of ${runs.length} runs of ${each} ms` : `1 run of ${each} ms`}`;
          figures.push({ who, what: mode.label, value: ipcValue(test, count, median(runs)), unit, detail });
        }
      }
    }
  }
  return figures;
}
