// The README quotes these programs: each must run as a user would run it and print what it says.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { loadNative } from '../../src/native/loader.ts';
import { skipWithoutRedis, startRedis, startWorker } from '../helpers/redis.ts';

const run = promisify(execFile);

/** Runs examples/<name> as a user would; `env` adds to this process's environment. */
async function example(name: string, env: Record<string, string> = {}): Promise<string> {
  const path = fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
  const loader = name.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const { stdout } = await run(process.execPath, [...loader, path], { timeout: 60_000, env: { ...process.env, ...env } });
  return stdout;
}

// Each example is a program of its own, mostly waiting on its children: three run at a time
// (their objects have names or keys of their own: a pid, a fresh directory, ftok of the file).
describe('the examples', { concurrency: 3 }, () => {
  test('examples/process-basics.ts greets from a child and exits 0', async () => {
    assert.match(await example('process-basics.ts'), /^hello bob from Process-1 \(pid \d+\)\nexit code 0\n$/);
  });

  test('examples/pool-basics.ts maps and applies', async () => {
    assert.equal(await example('pool-basics.ts'), '[\n   0,  1,  4,  9, 16,\n  25, 36, 49, 64, 81\n]\n144\n49\n');
  });

  test('examples/imap-stream.ts counts primes from an unbounded input', async () => {
    assert.equal(await example('imap-stream.ts'), '9592 primes below 100000\n');
  });

  test('examples/plain.mjs runs on plain node', async () => {
    assert.equal(await example('plain.mjs'), '[ 1, 8, 27 ]\n');
  });

  test('examples/shared-counter.ts counts exactly across four processes', { skip: loadNative() ? false : 'no native addon' }, async () => {
    assert.equal(await example('shared-counter.ts'), 'counter = 4000\n');
  });

  test('examples/producer-consumer.ts consumes every item, then the sentinel ends it', { skip: loadNative() ? false : 'no native addon' }, async () => {
    assert.equal(await example('producer-consumer.ts'), 'consumed 0\nconsumed 1\nconsumed 4\nconsumed 9\nconsumed 16\ndone\n');
  });

  test('examples/pipe-basics.ts receives a value, bytes, then EOF', { skip: loadNative() ? false : 'no native addon' }, async () => {
    assert.equal(await example('pipe-basics.ts'), "[ 42, null, 'hello' ]\nraw bytes\nEOF: the child closed its end\n");
  });

  test('examples/futures-primes.ts checks the documentation primes with map and submit', async () => {
    assert.equal(
      await example('futures-primes.ts'),
      [
        '112272535095293 is prime: true',
        '112582705942171 is prime: true',
        '112272535095293 is prime: true',
        '115280095190773 is prime: true',
        '115797848077099 is prime: true',
        '1099726899285419 is prime: false',
        '5 of 6 are prime',
        '',
      ].join('\n'),
    );
  });

  test('examples/contexts.ts runs the same tasks on threads and on processes', async () => {
    assert.match(
      await example('contexts.ts'),
      /^threads: \[ 1, 4, 9 \]\nprocesses: \[ 16, 25, 36 \]\nstart method: thread\nhello a thread from Thread-\d+ \(pid \d+\)\nsame pid: true, exit code 0\n$/,
    );
  });

  test('examples/listener-client.ts answers an authenticated client', async () => {
    assert.equal(await example('listener-client.ts'), 'client got 6\naccepted from 127.0.0.1\n');
  });

  test('examples/managers.ts counts under a managed lock from three processes', async () => {
    assert.equal(await example('managers.ts'), "n = 3\nlog: [ 'a', 'b', 'c' ]\nobjects held: 3\n");
  });

  test('examples/sync.ts coordinates three workers with a Lock, an Event and a Barrier', { skip: loadNative() ? false : 'no native addon' }, async () => {
    assert.equal(await example('sync.ts'), 'all three arrived\nresults: [ 1, 2, 3 ]\nlock taken with a timeout\n');
  });

  test('examples/errors.ts re-throws a task error with its remote stack, and survives a dying worker', async () => {
    assert.equal(
      await example('errors.ts'),
      [
        'SyntaxError',
        'RemoteError holds the worker stack: true',
        'WorkerLostError: the worker died, the pool goes on',
        '{ ok: true }',
        'Pool: "processes" must be an integer >= 1, received number 0. Omit it to use cpuCount().',
        '',
      ].join('\n'),
    );
  });

  test('examples/process-subclass.ts runs a registered subclass\'s run() in the child', { skip: loadNative() ? false : 'no native addon' }, async () => {
    assert.equal(await example('process-subclass.ts'), 'hello world from Worker-1\nexit code 0\n');
  });

  test('examples/ipc/pipe.ts reads what a child wrote into a pipe, to its end', { skip: loadNative() ? false : 'no native addon' }, async () => {
    assert.equal(await example('ipc/pipe.ts'), "[ 'one', 'two', 'three' ]\nchild exited with code 0\n");
  });

  test('examples/ipc/fifo.ts passes lines through a FIFO from a second program', { skip: loadNative() ? false : 'no native addon' }, async () => {
    assert.equal(await example('ipc/fifo.ts'), 'job 1\njob 2\njob 3\nwriter exited with code 0\n');
  });

  test('examples/ipc/socket-pair.ts squares numbers in a child over a socket pair', { skip: loadNative() ? false : 'no native addon' }, async () => {
    assert.equal(await example('ipc/socket-pair.ts'), '[ 1, 4, 9, 16 ]\nchild exited with code 0\n');
  });

  test('examples/ipc/signals.ts: the child says it is ready with SIGUSR1 and stops on SIGTERM', { skip: loadNative() ? false : 'no native addon' }, async () => {
    assert.equal(
      await example('ipc/signals.ts'),
      'parent: SIGUSR1 from the child, so it is ready\nchild: SIGTERM from my parent, cleaning up\nparent: the child exited with code 0\n',
    );
  });

  test('examples/ipc/posix-message-queue.ts hands jobs to a worker, highest priority first', { skip: loadNative() ? false : 'no native addon' }, async () => {
    assert.equal(await example('ipc/posix-message-queue.ts'), 'URGENT (priority 9)\nWASH (priority 1)\nDRY (priority 1)\n');
  });

  test('examples/ipc/posix-semaphore.ts waits for three workers to post', { skip: loadNative() ? false : 'no native addon' }, async () => {
    assert.equal(await example('ipc/posix-semaphore.ts'), '3 workers are ready\nvalue now 0; tryWait() -> false\n');
  });

  test('examples/ipc/sysv-message-queue.ts: a worker answers jobs through a System V queue', { skip: loadNative() ? false : 'no native addon' }, async () => {
    assert.equal(await example('ipc/sysv-message-queue.ts'), '3 squared is 9\n4 squared is 16\n5 squared is 25\n');
  });

  test('examples/ipc/sysv-semaphore.ts: two processes take turns with System V semaphores', { skip: loadNative() ? false : 'no native addon' }, async () => {
    assert.equal(await example('ipc/sysv-semaphore.ts'), 'ping 1\npong 1\nping 2\npong 2\nping 3\npong 3\n');
  });

  test('examples/ipc/sysv-shared-memory.ts: the parent reads what the child wrote in a System V segment', { skip: loadNative() ? false : 'no native addon' }, async () => {
    assert.equal(await example('ipc/sysv-shared-memory.ts'), 'hello from the child\ncounter = 1000\n');
  });

  test('examples/ipc/mapped-file.ts shows two processes writing one mapped file', { skip: loadNative() ? false : 'no native addon' }, async () => {
    assert.equal(await example('ipc/mapped-file.ts'), '2 visits\nalice was here\nbob was here\non disk: bob was here\n');
  });

  test('examples/ipc/file-lock.ts counts exactly under a file lock across three processes', { skip: loadNative() ? false : 'no native addon' }, async () => {
    assert.equal(await example('ipc/file-lock.ts'), 'counter = 300\nheld now? no: a shared lock was free\n');
  });

  test(
    'examples/redis/main.ts maps through Redis on a `multiproc worker` process, as its header says to run it',
    { skip: skipWithoutRedis || (loadNative() ? false : 'no native addon') },
    async (t) => {
      // One private server and one worker (the redis tests cover several), stopped even if it fails.
      const redis = await startRedis();
      const root = fileURLToPath(new URL('../../examples/redis/', import.meta.url));
      const worker = startWorker(redis.url, { root });
      t.after(async () => {
        await worker.stop();
        await redis.stop();
      });
      await worker.waitFor(/ready/);
      assert.equal(
        await example('redis/main.ts', { MULTIPROC_REDIS_URL: redis.url }),
        '[\n  0,  1, 7,  2, 5,\n  8, 16, 3, 19, 6\n]\nbelow 10000, 6171 takes the most steps: 261\napply: 27 takes 111 steps\n',
      );
    },
  );
});
