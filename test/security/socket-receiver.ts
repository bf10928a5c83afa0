// A receiver outside multiproc's tree, for the socket security tests: started with plain
// child_process.spawn (not by multiproc), it listens on a loopback port with the Listener
// options given as JSON in argv[2], accepts every connection and receives on each until it
// breaks. It reports on stdout, one JSON line each: "listening" (port, pid), every accept()
// rejection, and per connection every received value's type or the error a recv rejected with.
// `{ "echo": x }` is sent back (the legitimate client's requests). A received value with a
// wait() method is waited on: were a forged Barrier rebuilt, its action would run here.
// A line "stats" on stdin prints counts; the end of stdin ends the process.

import { createInterface } from 'node:readline';
import { type Connection, Listener, type ListenerOptions } from 'multiproc';

interface Settings extends Omit<ListenerOptions, 'address'> {
  /** Report only accept() rejections and uncoded errors (the fuzzer sends thousands of frames). */
  readonly quiet?: boolean;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as Settings;
const { quiet = false, ...options } = settings;
const stats = { accepted: 0, acceptErrors: 0, received: 0, refused: {} as Record<string, number>, uncoded: [] as string[] };

function report(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function describe(error: unknown): { name: string; code: unknown; message: string } {
  const { name, code, message } = error as { name: string; code?: unknown; message: string };
  if (code === undefined && stats.uncoded.length < 5) stats.uncoded.push(`${name}: ${message}`);
  return { name, code, message };
}

function typeOf(value: unknown): string {
  if (value === null || typeof value !== 'object') return typeof value;
  return Object.getPrototypeOf(value)?.constructor?.name ?? 'null-prototype object';
}

async function serve(connection: Connection, id: number): Promise<void> {
  let last: unknown;
  for (;;) {
    try {
      const value = await connection.recv<Record<string, unknown> | null>();
      stats.received++;
      if (value !== null && typeof value === 'object' && typeof value.wait === 'function') await (value.wait as (timeout: number) => unknown)(1);
      if (value !== null && typeof value === 'object' && 'echo' in value) connection.send({ echo: value.echo });
      if (!quiet) report({ event: 'recv', conn: id, type: typeOf(value) });
    } catch (error) {
      const described = describe(error);
      const key = `${described.name} ${String(described.code)}`;
      stats.refused[key] = (stats.refused[key] ?? 0) + 1;
      if (!quiet) report({ event: 'recv-error', conn: id, ...described });
      // A broken transport throws the same error again: this connection is over.
      if (error === last || described.name === 'EOFError') {
        connection.close();
        return;
      }
      last = error;
    }
  }
}

const listener = new Listener({ address: { host: '127.0.0.1', port: 0 }, ...options });
await listener.listening;
report({ event: 'listening', port: (listener.address as { port: number }).port, pid: process.pid });

createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line === 'stats') report({ event: 'stats', ...stats });
  })
  .on('close', () => {
    listener.close();
    process.exit(0);
  });

for (let id = 1; ; id++) {
  try {
    const connection = await listener.accept();
    stats.accepted++;
    if (!quiet) report({ event: 'accepted', conn: id });
    void serve(connection, id);
  } catch (error) {
    stats.acceptErrors++;
    const described = describe(error);
    if (!quiet) report({ event: 'accept-error', ...described });
  }
}
