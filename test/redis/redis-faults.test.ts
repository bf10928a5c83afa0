// Fault tolerance of the redis context: a worker killed mid-task, a poison task, no workers at
// all, a worker told to stop, a Redis restart. Each test serves its own queue, so the workers of
// one test never take another's jobs.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Pool, TimeoutError, WorkerLostError } from 'multiproc';
import { hangOnce, killMyWorker, sleepThen, square } from '../fixtures/redis-tasks.ts';
import { eventually, isRunning } from '../helpers/processes.ts';
import { type RedisServer, skipWithoutRedis, startRedis, startWorker, type WorkerProcess } from '../helpers/redis.ts';
import { scratchDir } from '../helpers/scratch-dir.ts';

const ROOT = fileURLToPath(new URL('../fixtures/', import.meta.url));

describe('the redis context under faults', { skip: skipWithoutRedis }, () => {
  let redis: RedisServer;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mp-redis-aof-'));
    redis = await startRedis({ dataDir });
  });

  after(async () => {
    await redis?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** A worker of this test's queue, stopped when the test ends (also when it fails). */
  function workerFor(t: { after(fn: () => unknown): void }, queue: string): WorkerProcess {
    const worker = startWorker(redis.url, { root: ROOT, queue });
    t.after(() => worker.stop());
    return worker;
  }

  function poolFor(t: { after(fn: () => unknown): void }, queue: string, options: { attempts?: number; stallTimeout?: number } = {}): Pool {
    const pool = new Pool({ context: 'redis', url: redis.url, root: ROOT, queue, stallTimeout: 60_000, ...options });
    t.after(() => pool.terminate());
    return pool;
  }

  test('a worker killed with SIGKILL mid-task has its task run again elsewhere, each result delivered once', async (t) => {
    const marker = join(scratchDir(t), 'marker');
    const first = workerFor(t, 'kill');
    await first.waitFor(/ready/);
    const pool = poolFor(t, 'kill');
    const done: number[] = [];
    const result = pool.starmapAsync(hangOnce, [[marker, 'a'], [marker, 'b'], [marker, 'c']], { chunkSize: 1, progress: (count) => done.push(count) });
    assert.ok(await eventually(() => existsSync(marker) && readFileSync(marker, 'utf8') !== ''));
    const taskPid = Number(readFileSync(marker, 'utf8'));
    first.child.kill('SIGKILL');
    await first.stop();
    // The pool child running the task dies with its worker.
    assert.ok(await eventually(() => !isRunning(taskPid)));
    const second = workerFor(t, 'kill');
    assert.deepEqual(await result.get(), ['a', 'b', 'c']);
    assert.deepEqual(done, [1, 2, 3]);
    assert.match(second.output(), /lost|attempt=2/);
  });

  test('a task that kills every worker running it fails with WorkerLostError after `attempts`', async (t) => {
    const workers = [workerFor(t, 'poison'), workerFor(t, 'poison')];
    await Promise.all(workers.map((worker) => worker.waitFor(/ready/)));
    const pool = poolFor(t, 'poison', { attempts: 1 });
    await assert.rejects(pool.apply(killMyWorker, []), (error: Error) => {
      assert.ok(error instanceof WorkerLostError);
      assert.match(error.message, /killMyWorker.*lost its worker 1 times? \(attempts: 1\)/);
      return true;
    });
  });

  test('with no worker, a call rejects with TimeoutError after stallTimeout, saying what it waited for', async (t) => {
    const pool = poolFor(t, 'nobody-serves-this', { stallTimeout: 300 });
    await assert.rejects(pool.map(square, [1, 2, 3]), (error: Error) => {
      assert.ok(error instanceof TimeoutError);
      assert.match(error.message, /stallTimeout.*queue "nobody-serves-this".*multiproc worker/s);
      return true;
    });
  });

  test('SIGTERM makes a worker finish its running task, then exit with code 0', async (t) => {
    const worker = workerFor(t, 'term');
    await worker.waitFor(/ready/);
    const pool = poolFor(t, 'term');
    const result = pool.apply(sleepThen, [300, 'finished']);
    await worker.waitFor(/start /);
    worker.child.kill('SIGTERM');
    assert.equal(await result, 'finished');
    assert.equal(await worker.stop(), 0);
    assert.match(worker.output(), /stop .*finishing/);
  });

  test('--json prints one JSON object per event: ready, start, done, stop', async (t) => {
    const worker = startWorker(redis.url, { root: ROOT, queue: 'json', extraArgs: ['--json'] });
    t.after(() => worker.stop());
    await worker.waitFor(/"ready"/);
    assert.equal(await poolFor(t, 'json').apply(square, [4]), 16);
    await worker.waitFor(/"done"/);
    assert.equal(await worker.stop(), 0);
    const events = worker.output().trim().split('\n').map((line) => JSON.parse(line).event);
    assert.deepEqual(events, ['ready', 'start', 'done', 'stop', 'stop']);
  });

  test('a Redis restart mid-run (AOF on) loses no task and no result', async (t) => {
    const worker = workerFor(t, 'restart');
    await worker.waitFor(/ready/);
    const pool = poolFor(t, 'restart');
    const items = Array.from({ length: 20 }, (_, index) => index);
    const result = pool.starmapAsync(sleepThen, items.map((index) => [100, index]), { chunkSize: 1 });
    await worker.waitFor(/done /);
    await redis.restart();
    assert.deepEqual(await result.get(), items);
  });
});
