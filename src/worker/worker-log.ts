// What `multiproc worker` prints: one line per event (ready, start, done, failed, lost, stop,
// error, and unreachable / connected around a Redis outage), as text for people, as JSON lines
// for log collectors (--json), or only the problems (--quiet: errors and outages). Errors and
// the start of an outage go to stderr, the rest to stdout.

export type WorkerLogFormat = 'text' | 'json' | 'quiet';

export type WorkerEvent = 'ready' | 'start' | 'done' | 'failed' | 'lost' | 'stop' | 'error' | 'unreachable' | 'connected';

/** Printed even with --quiet: what an operator must see. */
const ALWAYS_SHOWN: ReadonlySet<WorkerEvent> = new Set(['error', 'unreachable', 'connected']);
const TO_STDERR: ReadonlySet<WorkerEvent> = new Set(['error', 'unreachable']);

export interface WorkerLog {
  event(kind: WorkerEvent, fields: Record<string, unknown>): void;
}

function textLine(kind: WorkerEvent, fields: Record<string, unknown>): string {
  const parts = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' && /\s/.test(value) ? JSON.stringify(value) : String(value)}`);
  return `[multiproc worker ${new Date().toISOString()}] ${kind} ${parts.join(' ')}\n`;
}

export function createWorkerLog(format: WorkerLogFormat): WorkerLog {
  return {
    event(kind, fields) {
      if (format === 'quiet' && !ALWAYS_SHOWN.has(kind)) return;
      const line = format === 'json' ? `${JSON.stringify({ time: new Date().toISOString(), event: kind, ...fields })}\n` : textLine(kind, fields);
      (TO_STDERR.has(kind) ? process.stderr : process.stdout).write(line);
    },
  };
}
