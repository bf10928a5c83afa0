// A private redis-server per test file, on a free loopback port, and `multiproc worker`
// processes serving it: both started here and stopped in the file's `after`, so no process is
// left behind. Without redis-server installed, the redis tests skip with the message below.
// With `tls`, the server listens only for TLS, with a certificate for 127.0.0.1 signed by a
// throw-away CA made here with the openssl command (its directory is removed by stop()).
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** `false` when redis-server is installed, else why the redis tests are skipped. */
export const skipWithoutRedis: false | string =
  spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
    ? false
    : 'redis-server is not installed (Debian: apt-get install redis-server): the redis context tests are skipped';

/** `false` when TLS tests can run (the openssl command exists), else why they are skipped. */
export const skipWithoutTls: false | string =
  skipWithoutRedis ||
  (spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0
    ? false
    : 'the openssl command is not installed (Debian: apt-get install openssl): the TLS tests of the redis context are skipped');

export interface RedisServer {
  /** redis://, or rediss:// with `tls`. */
  readonly url: string;
  readonly port: number;
  /** With `tls`: the PEM file of the CA that signed the server's certificate (for NODE_EXTRA_CA_CERTS). */
  readonly caFile?: string;
  /** Stops the server (SIGTERM, then waits for its exit) and removes its certificates. */
  stop(): Promise<void>;
  /**
   * Stops it, awaits `whileDown` if given (Redis is away meanwhile), and starts it again on the
   * same port and directory (its AOF, if on, is reloaded).
   */
  restart(whileDown?: () => Promise<unknown>): Promise<void>;
}

export interface RedisServerOptions {
  /** requirepass: clients must give it in the URL. */
  readonly password?: string;
  /** A directory for an append-only file (AOF persistence on); none: no persistence. */
  readonly dataDir?: string;
  /** TLS only (no plain port): a rediss:// URL, and `caFile` to trust. */
  readonly tls?: boolean;
  /** This port rather than a free one (e.g. one a worker already tries to reach). */
  readonly port?: number;
}

interface TlsFiles {
  readonly dir: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** A throw-away CA and a server certificate for 127.0.0.1 (IP subjectAltName) it signed. */
function makeCertificates(): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), 'mp-redis-tls-'));
  const files = { dir, caFile: join(dir, 'ca.pem'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key') };
  const caKey = join(dir, 'ca.key');
  const request = join(dir, 'server.csr');
  const extensions = join(dir, 'server.ext');
  writeFileSync(
    extensions,
    'subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
  );
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    openssl(['req', '-x509', '-new', ...key, '-keyout', caKey, '-out', files.caFile, '-days', '2', '-subj', '/CN=multiproc test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    openssl(['req', '-new', ...key, '-keyout', files.keyFile, '-out', request, '-subj', '/CN=127.0.0.1']);
    openssl(['x509', '-req', '-in', request, '-CA', files.caFile, '-CAkey', caKey, '-set_serial', '1', '-days', '2',
      '-out', files.certFile, '-extfile', extensions]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return files;
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
async function launch(port: number, options: RedisServerOptions, tls: TlsFiles | undefined): Promise<ChildProcess> {
  const listen = tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile,
        '--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', 'no']
    : ['--port', String(port)];
  const args = [...listen, '--bind', '127.0.0.1', '--save', '', '--daemonize', 'no', '--logfile', ''];
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
  const tls = options.tls ? makeCertificates() : undefined;
  const removeCertificates = () => tls && rmSync(tls.dir, { recursive: true, force: true });
  let lastError: unknown;
  // The free port may be taken by another program between the check and redis-server's bind.
  for (let attempt = 0; attempt < (options.port === undefined ? 5 : 1); attempt++) {
    const port = options.port ?? (await freePort());
    let child: ChildProcess;
    try {
      child = await launch(port, options, tls);
    } catch (error) {
      lastError = error;
      continue;
    }
    const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
    return {
      url: `${tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}`,
      port,
      ...(tls ? { caFile: tls.caFile } : {}),
      async stop() {
        await stopChild(child);
        removeCertificates();
      },
      async restart(whileDown) {
        await stopChild(child);
        await whileDown?.();
        child = await launch(port, options, tls);
      },
    };
  }
  removeCertificates();
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
  /** Added to the worker's environment (e.g. NODE_EXTRA_CA_CERTS). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Starts `multiproc worker` (the built CLI, with tsx so that .ts task modules load). */
export function startWorker(url: string, options: WorkerOptions): WorkerProcess {
  const args = ['--import', 'tsx', CLI, 'worker', '--url', url, '--root', options.root, '--concurrency', String(options.concurrency ?? 1)];
  if (options.queue) args.push('--queue', options.queue);
  args.push(...(options.extraArgs ?? []));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
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
