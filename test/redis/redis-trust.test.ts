// What a redis context refuses (SPEC §12, §14): a wrong password, a module the worker does not
// have, a module outside the worker's root, a function its module did not register, a job of
// another multiproc version, and the context itself when bullmq is not installed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AuthenticationError, Pool, taskRef } from 'multiproc';
import { echo, square } from '../fixtures/redis-tasks.ts';
import { type RedisServer, skipWithoutRedis, startRedis, startWorker, type WorkerProcess } from '../helpers/redis.ts';
import { scratchDir } from '../helpers/scratch-dir.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const TESTS = fileURLToPath(new URL('../', import.meta.url));
const HELPERS = fileURLToPath(new URL('../helpers/', import.meta.url));
const PASSWORD = 'the-right-password';

describe('what the redis context refuses', { skip: skipWithoutRedis }, () => {
  let redis: RedisServer;
  let worker: WorkerProcess;
  let strictWorker: WorkerProcess;

  before(async () => {
    redis = await startRedis({ password: PASSWORD });
    worker = startWorker(redis.url, { root: FIXTURES, queue: 'trust' });
    // A worker whose root holds no task module: everything it is sent lies outside.
    strictWorker = startWorker(redis.url, { root: HELPERS, queue: 'strict' });
    await Promise.all([worker.waitFor(/ready/), strictWorker.waitFor(/ready/)]);
  });

  after(async () => {
    await Promise.all([worker?.stop(), strictWorker?.stop()]);
    await redis?.stop();
  });

  function poolFor(t: { after(fn: () => unknown): void }, options: { url?: string; root?: string; queue?: string }): Pool {
    const pool = new Pool({ context: 'redis', url: redis.url, root: FIXTURES, queue: 'trust', stallTimeout: 60_000, ...options });
    t.after(() => pool.terminate());
    return pool;
  }

  test('a wrong or missing password is refused with AuthenticationError, the password never shown', async (t) => {
    const wrong = redis.url.replace(PASSWORD, 'not-it');
    await assert.rejects(poolFor(t, { url: wrong }).apply(square, [2]), (error: Error) => {
      assert.ok(error instanceof AuthenticationError);
      assert.match(error.message, /refused the credentials.*password/);
      assert.doesNotMatch(error.message, /not-it/);
      return true;
    });
    const none = redis.url.replace(`:${PASSWORD}@`, '');
    await assert.rejects(poolFor(t, { url: none }).apply(square, [2]), AuthenticationError);
  });

  test('a worker given a wrong password exits with code 1 and says why', async (t) => {
    const refused = startWorker(redis.url.replace(PASSWORD, 'not-it'), { root: FIXTURES, queue: 'trust' });
    t.after(() => refused.stop());
    assert.equal(await refused.exited(), 1);
    assert.doesNotMatch(refused.output(), /not-it/);
    assert.match(refused.output(), /refused the credentials/);
  });

  test('a task whose module the worker does not have fails naming the module and the worker', async (t) => {
    // The caller's root is one level up, so the module travels as "fixtures/redis-tasks.ts",
    // which the worker looks for under its own root: fixtures/fixtures/redis-tasks.ts.
    const pool = poolFor(t, { root: TESTS });
    await assert.rejects(pool.apply(square, [3]), (error: Error) => {
      assert.match(error.message, /multiproc worker on .*pid \d+.*cannot import the task module fixtures\/redis-tasks\.ts.*--root/);
      assert.equal((error as { code?: string }).code, 'ERR_MODULE_NOT_FOUND');
      return true;
    });
  });

  test("a module outside the worker's root is refused", async (t) => {
    const pool = new Pool({ context: 'redis', url: redis.url, queue: 'strict', stallTimeout: 60_000 });
    t.after(() => pool.terminate());
    await assert.rejects(pool.apply(square, [3]), { name: 'TypeError', message: /multiproc worker on .*outside the root/ });
  });

  test('a function its module exported but did not register is refused', async (t) => {
    const pool = poolFor(t, {});
    const ref = taskRef(new URL('../fixtures/redis-tasks.ts', import.meta.url), 'notRegistered');
    await assert.rejects(pool.apply(ref, []), { name: 'TypeError', message: /register\(\)ed/ });
  });

  test('a worker refuses a job of another multiproc version, naming both versions', async () => {
    const { Queue, QueueEvents } = await import('bullmq');
    const connection = { url: redis.url };
    const events = new QueueEvents('trust', { connection, prefix: 'multiproc' });
    const queue = new Queue('trust', { connection, prefix: 'multiproc' });
    try {
      await events.waitUntilReady();
      const data = { v: '0.0.0-other', module: 'redis-tasks.ts', isRelative: true, name: 'square', mode: 0, payload: '', attempts: 1 };
      const job = await queue.add('square', data);
      const packed = (await job.waitUntilFinished(events)) as string;
      const text = Buffer.from(packed, 'base64').toString('latin1');
      assert.match(text, /refuses a task sent by multiproc 0\.0\.0-other/);
      assert.match(text, /InvalidStateError/);
    } finally {
      await Promise.all([queue.close(), events.close()]);
    }
  });

  test('the values a task returns keep their types through a password-protected Redis', async (t) => {
    assert.deepEqual(await poolFor(t, {}).apply(echo, [new Map([[1n, new Set([2])]])]), new Map([[1n, new Set([2])]]));
  });
});

test('without bullmq installed, the redis context throws an error saying npm install bullmq', (t) => {
  // A copy of the built package where bullmq cannot be resolved (no node_modules beside it).
  const dir = scratchDir(t);
  const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
  cpSync(join(packageRoot, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(packageRoot, 'package.json'), join(dir, 'package.json'));
  const program = join(dir, 'program.mjs');
  writeFileSync(
    program,
    `import { Pool } from './dist/index.js';
try { new Pool({ context: 'redis', url: 'redis://127.0.0.1:1' }); console.log('no error'); }
catch (error) { console.log(error.code, error.message); }`,
  );
  const output = execFileSync(process.execPath, [program], { cwd: dir, env: { ...process.env, MULTIPROC_NO_NATIVE: '1', NODE_OPTIONS: '' }, encoding: 'utf8' });
  assert.match(output, /ERR_MODULE_NOT_FOUND .*npm install bullmq/);
});
