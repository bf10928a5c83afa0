// W13's private Redis: a redis-server on a free loopback port with no persistence, its counters
// (INFO stats, INFO commandstats) read before and after a timed run to say what each job cost,
// and the ending of it and of every process the workload started, also after a failure.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';

/** Why redis-server cannot be started here, or null when it can. */
export function redisServerMissing(): string | null {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error) return `redis-server not found (${probe.error.message})`;
  return probe.status === 0 ? null : `redis-server --version exited with code ${probe.status}`;
}

/** The version redis-server prints ('7.0.15'), or '?'. */
export function redisServerVersion(): string {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return /v=(\S+)/.exec(probe.stdout ?? '')?.[1] ?? '?';
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((closed) => server.close(closed));
  return port;
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
}

/** How long redis-server may take to say it is ready. */
const READY_LIMIT_MS = 20_000;

/** Starts redis-server on 127.0.0.1 and a free port, without RDB snapshots or an append-only file. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--logfile', ''];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await new Promise<void>((ready, failed) => {
      let output = '';
      const timer = setTimeout(() => failed(new Error(`redis-server: not ready after ${READY_LIMIT_MS / 1000} s`)), READY_LIMIT_MS);
      const settle = (error?: Error) => {
        clearTimeout(timer);
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume(); // keep draining its log
        if (error) failed(error);
        else ready();
      };
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk;
        if (output.includes('Ready to accept connections')) settle();
      });
      child.stderr!.resume();
      child.once('error', settle);
      child.once('exit', (code) => settle(new Error(`redis-server exited with code ${code}: ${output.trim().split('\n').pop() ?? ''}`)));
    });
  } catch (error) {
    await stopProcesses([child]);
    throw error;
  }
  return { url: `redis://127.0.0.1:${port}`, port, child };
}

/** Ends each process still running with SIGTERM (SIGKILL after 10 s) and waits for its exit. */
export async function stopProcesses(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    children
      .filter((child) => child.exitCode === null && child.signalCode === null && child.pid !== undefined)
      .map(async (child) => {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
  );
}

/** Redis's own counters at one moment. */
export interface RedisCounters {
  /** Every command run, those inside Lua scripts included (INFO stats total_commands_processed). */
  commands: number;
  /** EVAL, EVALSHA and FCALL calls: BullMQ's scripts, each one round trip unless pipelined. */
  scripts: number;
  /** Bytes Redis received and sent on all its connections. */
  bytesIn: number;
  bytesOut: number;
  /** CPU time redis-server used, user and system (INFO cpu), in microseconds. */
  cpuUs: number;
}

/** One INFO request in RESP (inline commands would do, but the reply is a bulk string either way). */
async function info(port: number): Promise<string> {
  const socket = createConnection({ host: '127.0.0.1', port });
  socket.write('*2\r\n$4\r\nINFO\r\n$10\r\neverything\r\n');
  let reply = Buffer.alloc(0);
  for await (const chunk of socket) {
    reply = Buffer.concat([reply, chunk as Buffer]);
    const header = reply.indexOf('\r\n');
    if (header > 0 && reply[0] === 0x24 /* $ */) {
      const length = Number(reply.subarray(1, header).toString());
      if (reply.length >= header + 2 + length) {
        socket.destroy();
        return reply.subarray(header + 2, header + 2 + length).toString();
      }
    }
  }
  throw new Error(`redis INFO: the connection closed before the whole reply (${reply.length} bytes)`);
}

/** The counters now (the INFO call itself adds one command and a few kilobytes, negligible here). */
export async function readCounters(port: number): Promise<RedisCounters> {
  const text = await info(port);
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  const calls = (command: string) => Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return {
    commands: field('total_commands_processed'),
    scripts: calls('eval') + calls('evalsha') + calls('fcall'),
    bytesIn: field('total_net_input_bytes'),
    bytesOut: field('total_net_output_bytes'),
    cpuUs: Math.round((field('used_cpu_user') + field('used_cpu_sys')) * 1e6),
  };
}

/** What happened between two readings. */
export function countersBetween(before: RedisCounters, after: RedisCounters): RedisCounters {
  return {
    commands: after.commands - before.commands,
    scripts: after.scripts - before.scripts,
    bytesIn: after.bytesIn - before.bytesIn,
    bytesOut: after.bytesOut - before.bytesOut,
    cpuUs: after.cpuUs - before.cpuUs,
  };
}
