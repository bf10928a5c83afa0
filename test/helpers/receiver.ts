// Starts test/security/socket-receiver.ts (a receiver outside multiproc's tree) with plain
// child_process.spawn, and reads what it reports. Killed and awaited by stop(), which a test
// registers with t.after.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../security/socket-receiver.ts', import.meta.url));

export interface ReceiverEvent {
  readonly event: string;
  readonly [key: string]: unknown;
}

export interface Receiver {
  readonly port: number;
  readonly pid: number;
  readonly events: ReceiverEvent[];
  readonly output: () => string;
  /** Resolves with the first event (from now on or already seen) that `matches`. */
  next(matches: (event: ReceiverEvent) => boolean): Promise<ReceiverEvent>;
  stats(): Promise<ReceiverEvent>;
  /** Resident memory of the receiver, in bytes (VmRSS). */
  residentBytes(): number;
  alive(): boolean;
  stop(): Promise<void>;
}

export async function startReceiver(options: object): Promise<Receiver> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SCRIPT, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const events: ReceiverEvent[] = [];
  const watchers = new Set<{ matches: (event: ReceiverEvent) => boolean; resolve: (event: ReceiverEvent) => void }>();
  let output = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    output += `${line}\n`;
    let event: ReceiverEvent;
    try {
      event = JSON.parse(line) as ReceiverEvent;
    } catch {
      return;
    }
    events.push(event);
    for (const watcher of [...watchers]) {
      if (watcher.matches(event)) {
        watchers.delete(watcher);
        watcher.resolve(event);
      }
    }
  });
  const exited = once(child, 'exit');
  const next = (matches: (event: ReceiverEvent) => boolean): Promise<ReceiverEvent> => {
    const seen = events.find(matches);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      watchers.add({ matches, resolve });
      exited.then(([code, signal]) => reject(new Error(`the receiver exited (code ${code}, signal ${signal}) before reporting; stderr:\n${stderr}`)));
    });
  };
  const listening = await next((event) => event.event === 'listening');
  return {
    port: listening.port as number,
    pid: listening.pid as number,
    events,
    output: () => `${output}\n--- stderr ---\n${stderr}`,
    next,
    stats: () => {
      const before = events.filter((event) => event.event === 'stats').length;
      child.stdin!.write('stats\n');
      return next((event) => event.event === 'stats' && events.filter((seen) => seen.event === 'stats').indexOf(event) >= before);
    },
    residentBytes: () => {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return Number(match![1]) * 1024;
    },
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
