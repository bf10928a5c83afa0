// The command line of `multiproc worker` (SPEC §12): parses the options, starts a RedisWorker,
// and stops it on SIGINT/SIGTERM: the first signal lets the running tasks finish, a second one
// stops at once (BullMQ then gives those jobs to another worker once their lock expires).

import { parseArgs } from 'node:util';
import { cpuCount } from '../cpu/cpu-count.js';
import { checkQueueName, checkRedisUrl, checkRoot } from '../remote/redis-options.js';
import { RedisWorker } from './redis-worker.js';
import { createWorkerLog, type WorkerLogFormat } from './worker-log.js';

export const WORKER_USAGE = `Usage: multiproc worker --url redis://[user:password@]host:port [options]

Runs the tasks of Pools created with { context: 'redis' } on this machine.

Options:
  --url URL          the Redis server (redis:// or rediss:// for TLS); or MULTIPROC_REDIS_URL
  --concurrency N    tasks run at once, each in a local worker process (default: cpuCount())
  --queue NAME       the queue to serve (default: "default"; the Pool's "queue" option)
  --root DIR         task modules must lie under DIR, or in packages found from DIR as Node
                     finds them (its node_modules and its parents'); relative names resolve there
                     (default: .)
  --quiet            print nothing but errors
  --json             print one JSON object per event
  -h, --help         show this help

With rediss://, a server certificate signed by a private CA is trusted through Node's
NODE_EXTRA_CA_CERTS=/path/to/ca.pem. While Redis cannot be reached the worker prints one
line, keeps retrying, and prints another once Redis answers again; refused credentials or
certificates end it with exit code 1.
`;

interface ParsedOptions {
  url: string;
  queue: string;
  concurrency: number;
  root: string;
  format: WorkerLogFormat;
}

function parse(args: string[]): ParsedOptions {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string' },
      concurrency: { type: 'string' },
      queue: { type: 'string' },
      root: { type: 'string' },
      quiet: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const url = values.url ?? process.env.MULTIPROC_REDIS_URL;
  if (url === undefined) throw new Error('--url is required (or set MULTIPROC_REDIS_URL)');
  const concurrency = values.concurrency === undefined ? cpuCount() : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`--concurrency must be an integer >= 1, received ${JSON.stringify(values.concurrency)}`);
  }
  return {
    url: checkRedisUrl('--url', url),
    queue: checkQueueName('--queue', values.queue),
    concurrency,
    root: checkRoot('--root', values.root ?? '.')!,
    format: values.json ? 'json' : values.quiet ? 'quiet' : 'text',
  };
}

/** Runs `multiproc worker ARGS`; resolves to the exit code. */
export async function runWorkerCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(WORKER_USAGE);
    return 0;
  }
  let options: ParsedOptions;
  try {
    options = parse(args);
  } catch (error) {
    process.stderr.write(`multiproc worker: ${(error as Error).message}\n\n${WORKER_USAGE}`);
    return 2;
  }
  const log = createWorkerLog(options.format);
  const worker = new RedisWorker({ ...options, log });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    // With Redis away, finishing the running tasks is no use (their results could not be stored)
    // and BullMQ's graceful close would wait for Redis for ever: stop now.
    const isReachable = worker.isRedisReachable;
    const force = signals > 1 || !isReachable;
    const message = !isReachable
      ? 'Redis is unreachable: stopping now; running tasks go back to the queue once their locks expire'
      : force
        ? 'stopping now; running tasks go back to the queue'
        : 'finishing the running tasks (signal again to stop now)';
    log.event('stop', { signal, message });
    void worker.stop(force);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let code: number;
  try {
    await worker.run();
    log.event('stop', { message: 'stopped' });
    code = 0;
  } catch (error) {
    log.event('error', { message: (error as Error).message });
    code = 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  // Stopped: the process exits once its last connections close. A signal in that moment would
  // otherwise kill it with no exit code; it ends it at once with the code it was going to have.
  const exitNow = () => process.exit(code);
  process.once('SIGINT', exitNow);
  process.once('SIGTERM', exitNow);
  return worker.isBullmqAbandoned ? exitOnceFlushed(code) : code;
}

/** Ends the process once stdout and stderr took what was written: BullMQ's abandoned close keeps timers and sockets alive. */
function exitOnceFlushed(code: number): Promise<never> {
  return new Promise(() => {
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  });
}
