// A private redis-server per test file, on a free loopback port, and `multiproc worker`
// processes serving it: both started here and stopped in the file's `after`, so no process is
// left behind. Without redis-server installed, the redis tests skip with the message below.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** `false` when redis-server is installed, else why the redis tests are skipped. */
export const skipWithoutRedis: false | string =
  spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
    ? false
    : 'redis-server is not installed (Debian: apt-get install redis-server): the redis context tests are skipped';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, then waits for its exit). */
  stop(): Promise<void>;
  /** Stops and starts it again on the same port and directory (its AOF, if on, is reloaded). */
  restart(): Promise<void>;
}

export interface RedisServerOptions {
  /** requirepass: clients must give it in the URL. */
  readonly password?: string;
  /** A directory for an append-only file (AOF persistence on); none: no persistence. */
  readonly dataDir?: string;
}

/** A loopback port nothing listens on (at the time of the call). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts redis-server and resolves once it accepts connections; rejects with its output if it exits first. */
async function launch(port: number, options: RedisServerOptions): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--daemonize', 'no', '--logfile', ''];
  if (options.dataDir) args.push('--dir', options.dataDir, '--appendonly', 'yes', '--appendfsync', 'always');
  else args.push('--appendonly', 'no');
  if (options.password) args.push('--requirepass', options.password);
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code} before it was ready:\n${output}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  let lastError: unknown;
  // The free port may be taken by another program between the check and redis-server's bind.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    let child: ChildProcess;
    try {
      child = await launch(port, options);
    } catch (error) {
      lastError = error;
      continue;
    }
    const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
    return {
      url: `redis://${auth}127.0.0.1:${port}`,
      port,
      stop: () => stopChild(child),
      async restart() {
        await stopChild(child);
        child = await launch(port, options);
      },
    };
  }
  throw lastError;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves once its output matches `pattern` (the worker prints a line per event). */
  waitFor(pattern: RegExp): Promise<void>;
  /** Resolves to its exit code once it exits by itself. */
  exited(): Promise<number | null>;
  /** SIGTERM, then waits for its exit; resolves to its exit code. */
  stop(): Promise<number | null>;
}

export interface WorkerOptions {
  readonly root: string;
  readonly concurrency?: number;
  readonly queue?: string;
  readonly extraArgs?: readonly string[];
}

/** Starts `multiproc worker` (the built CLI, with tsx so that .ts task modules load). */
export function startWorker(url: string, options: WorkerOptions): WorkerProcess {
  const args = ['--import', 'tsx', CLI, 'worker', '--url', url, '--root', options.root, '--concurrency', String(options.concurrency ?? 1)];
  if (options.queue) args.push('--queue', options.queue);
  args.push(...(options.extraArgs ?? []));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk;
    for (const waiter of waiters.filter((candidate) => candidate.pattern.test(output))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = once(child, 'exit');
  return {
    child,
    output: () => output,
    waitFor(pattern) {
      if (pattern.test(output)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        exited.then(() => reject(new Error(`the worker exited before printing ${pattern}:\n${output}`)), () => {});
      });
    },
    async exited() {
      await exited;
      return child.exitCode;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      return child.exitCode;
    },
  };
}
