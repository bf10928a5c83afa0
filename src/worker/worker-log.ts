// What `multiproc worker` prints: one line per event (ready, start, done, failed, lost, stop,
// error), as text for people, as JSON lines for log collectors (--json), or nothing (--quiet;
// errors still go to stderr).

export type WorkerLogFormat = 'text' | 'json' | 'quiet';

export type WorkerEvent = 'ready' | 'start' | 'done' | 'failed' | 'lost' | 'stop' | 'error';

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
      const isError = kind === 'error';
      if (format === 'quiet' && !isError) return;
      const line = format === 'json' ? `${JSON.stringify({ time: new Date().toISOString(), event: kind, ...fields })}\n` : textLine(kind, fields);
      (isError ? process.stderr : process.stdout).write(line);
    },
  };
}
