// The redis context over TLS (rediss://), end to end: a redis-server listening only for TLS (no
// plain port at all, so nothing can succeed in plain text), with a certificate signed by a
// throw-away CA. A caller and a worker that trust that CA (NODE_EXTRA_CA_CERTS, read by Node at
// start, so the trusting caller runs as its own program) run tasks; a wrong password is refused as
// on a plain connection; a process that does not trust the CA fails at once, saying why.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AuthenticationError, Pool } from 'multiproc';
import { square } from '../fixtures/redis-tasks.ts';
import { type RedisServer, skipWithoutTls, startRedis, startWorker, type WorkerProcess } from '../helpers/redis.ts';

const ROOT = fileURLToPath(new URL('../fixtures/', import.meta.url));
const CALLER = fileURLToPath(new URL('../fixtures/redis-caller.ts', import.meta.url));
const PASSWORD = 'tls-password';
const QUEUE = 'tls';

interface CallerOutput {
  readonly result?: number[];
  readonly error?: { readonly name: string; readonly code?: string; readonly message: string };
}

describe('the redis context over TLS (rediss://)', { skip: skipWithoutTls }, () => {
  let redis: RedisServer;
  let worker: WorkerProcess;
  let trustCa: NodeJS.ProcessEnv;

  before(async () => {
    redis = await startRedis({ tls: true, password: PASSWORD });
    trustCa = { NODE_EXTRA_CA_CERTS: redis.caFile };
    worker = startWorker(redis.url, { root: ROOT, queue: QUEUE, env: trustCa });
    await worker.waitFor(/ready/);
  });

  after(async () => {
    await worker?.stop();
    await redis?.stop();
  });

  /** Runs the caller program (its own process, so its environment applies from its start). */
  async function runCaller(url: string, env: NodeJS.ProcessEnv): Promise<CallerOutput> {
    const options = JSON.stringify({ url, root: ROOT, queue: QUEUE, items: [1, 2, 3, 4, 5] });
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CALLER, options], {
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as CallerOutput;
  }

  test('a map runs through a TLS-only server on a real worker, caller and worker trusting the CA by NODE_EXTRA_CA_CERTS', async () => {
    assert.match(redis.url, /^rediss:\/\//);
    assert.deepEqual(await runCaller(redis.url, trustCa), { result: [1, 4, 9, 16, 25] });
    assert.match(worker.output(), /done /);
  });

  test('a URL whose scheme is written in capitals (REDISS://) still uses TLS', async () => {
    assert.deepEqual(await runCaller(redis.url.replace('rediss://', 'REDISS://'), trustCa), { result: [1, 4, 9, 16, 25] });
  });

  test('a wrong password over TLS is refused with the AuthenticationError of the plain path', async () => {
    const output = await runCaller(redis.url.replace(PASSWORD, 'not-it'), trustCa);
    assert.equal(output.error?.name, 'AuthenticationError');
    assert.equal(output.error?.code, 'ERR_MP_AUTHENTICATION');
    assert.match(output.error?.message ?? '', /refused the credentials.*password/);
    assert.doesNotMatch(output.error?.message ?? '', /not-it/);
  });

  test('a caller that does not trust the certificate fails at once with AuthenticationError saying how to trust the CA', async (t) => {
    // This test process was started without NODE_EXTRA_CA_CERTS: the throw-away CA is unknown here.
    for (const url of [redis.url, redis.url.replace('rediss://', 'REDISS://')]) {
      const pool = new Pool({ context: 'redis', url, root: ROOT, queue: QUEUE });
      t.after(() => pool.terminate());
      await assert.rejects(pool.apply(square, [2]), (error: Error) => {
        assert.ok(error instanceof AuthenticationError);
        assert.match(error.message, /TLS certificate of Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+ is not accepted/);
        assert.match(error.message, /SELF_SIGNED_CERT_IN_CHAIN.*NODE_EXTRA_CA_CERTS/);
        assert.doesNotMatch(error.message, new RegExp(PASSWORD));
        assert.equal((error.cause as { code?: string })?.code, 'SELF_SIGNED_CERT_IN_CHAIN');
        return true;
      });
    }
  });

  test('a worker that does not trust the certificate prints why and exits with code 1', async (t) => {
    const untrusting = startWorker(redis.url, { root: ROOT, queue: QUEUE });
    t.after(() => untrusting.stop());
    assert.equal(await untrusting.exited(), 1);
    const output = untrusting.output();
    assert.match(output, /TLS certificate of Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+ is not accepted.*NODE_EXTRA_CA_CERTS/);
    assert.doesNotMatch(output, new RegExp(PASSWORD));
  });
});
