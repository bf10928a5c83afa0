// The caller's connection to Redis in the redis context: a server that cannot be reached, one
// that goes away mid-run, jobs lost from Redis, and an idle Pool that must not keep its program
// alive. Each test serves its own queue.
import assert from 'node:assert/strict';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { Pool, ProcessError, TimeoutError } from 'multiproc';
import { sleepThen, square } from '../fixtures/redis-tasks.ts';
import { runNode } from '../helpers/peers.ts';
import { freePort, type RedisServer, skipWithoutRedis, startRedis, startWorker, type WorkerProcess } from '../helpers/redis.ts';

const ROOT = fileURLToPath(new URL('../fixtures/', import.meta.url));
const TASKS = pathToFileURL(fileURLToPath(new URL('../fixtures/redis-tasks.ts', import.meta.url))).href;

type Teardown = { after(fn: () => unknown): void };

describe("the redis context's connection", { skip: skipWithoutRedis }, () => {
  let redis: RedisServer;

  before(async () => {
    redis = await startRedis();
  });

  after(async () => {
    await redis?.stop();
  });

  function workerFor(t: Teardown, url: string, queue: string): WorkerProcess {
    const worker = startWorker(url, { root: ROOT, queue });
    // SIGKILL: a worker whose Redis is gone would wait for it before it finishes its tasks.
    t.after(async () => {
      worker.child.kill('SIGKILL');
      await worker.stop();
    });
    return worker;
  }

  function poolFor(t: Teardown, url: string, queue: string, stallTimeout = 60_000): Pool {
    const pool = new Pool({ context: 'redis', url, root: ROOT, queue, stallTimeout });
    t.after(() => pool.terminate());
    return pool;
  }

  test('a Redis that cannot be reached fails the tasks at once, naming its url', async (t) => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const pool = poolFor(t, url, 'unreachable');
    await assert.rejects(pool.map(square, [1, 2, 3]), (error: Error) => {
      assert.ok(error instanceof ProcessError);
      assert.match(error.message, new RegExp(`could not reach Redis at ${url}.*ECONNREFUSED`));
      return true;
    });
    await assert.rejects(pool.apply(square, [4]), /could not reach Redis/);
  });

  test('a Redis gone mid-run fails the waiting tasks after stallTimeout, saying that Redis is unreachable', async (t) => {
    const own = await startRedis();
    t.after(() => own.stop());
    const worker = workerFor(t, own.url, 'gone');
    await worker.waitFor(/ready/);
    // The running task reports progress every 2 s, so nothing stalls until the server is gone.
    const pool = poolFor(t, own.url, 'gone', 5_000);
    const result = pool.apply(sleepThen, [600_000, 'never']);
    await worker.waitFor(/start /);
    await own.stop();
    await assert.rejects(result, (error: Error) => {
      assert.ok(error instanceof TimeoutError);
      assert.match(error.message, new RegExp(`stallTimeout.*Redis at ${own.url} has been unreachable for \\d+ ms`));
      return true;
    });
  });

  test('jobs lost from Redis (emptied by FLUSHALL) are added again and run once a worker serves them', async (t) => {
    const pool = poolFor(t, redis.url, 'flushed');
    const result = pool.map(square, [1, 2, 3], { chunkSize: 1 });
    const client = new Redis(redis.url);
    t.after(() => client.disconnect());
    while ((await client.llen('multiproc:flushed:wait')) < 3) await client.ping(); // the jobs are in Redis
    await client.flushall();
    assert.equal(await client.exists('multiproc:flushed:wait'), 0);
    workerFor(t, redis.url, 'flushed');
    assert.deepEqual(await result, [1, 4, 9]);
  });

  test('a program that leaves its redis Pool open, idle, ends by itself', async (t) => {
    workerFor(t, redis.url, 'idle');
    const program = `
      import { Pool, taskRef } from 'multiproc';
      const [url, root, tasks] = process.argv.slice(1);
      const pool = new Pool({ context: 'redis', url, root, queue: 'idle' });
      console.log(JSON.stringify(await pool.map(taskRef(tasks, 'square'), [1, 2, 3])));
      console.log(JSON.stringify(await pool.apply(taskRef(tasks, 'square'), [4])));
    `;
    assert.equal(await runNode(program, [redis.url, ROOT, TASKS]), '[1,4,9]\n16\n');
  });
});
