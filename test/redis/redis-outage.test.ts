// `multiproc worker` when Redis is away: a daemon prints one line per outage (the URL without its
// password, the cause, that it keeps retrying), one line when Redis answers again, and serves on;
// told to stop meanwhile, it stops at once. Each test has its own server and queue, and stops
// what it started in reverse order (the pool and the worker while their Redis still runs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Pool } from 'multiproc';
import { sleepThen, square } from '../fixtures/redis-tasks.ts';
import { freePort, type RedisServer, skipWithoutRedis, startRedis, startWorker, type WorkerProcess } from '../helpers/redis.ts';

const ROOT = fileURLToPath(new URL('../fixtures/', import.meta.url));
const PASSWORD = 'outage-password';

interface Started {
  redis?: RedisServer;
  worker?: WorkerProcess;
  pool?: Pool;
}

/** What the test starts, stopped when it ends (also when it fails): pool, worker, then Redis. */
function stopAfter(t: { after(fn: () => unknown): void }): Started {
  const started: Started = {};
  t.after(async () => {
    await started.pool?.terminate();
    await started.worker?.stop();
    await started.redis?.stop();
  });
  return started;
}

function count(output: string, pattern: RegExp): number {
  return output.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
}

/** The number in "after N s and M failed attempts" of the worker's `connected` line. */
function failedAttempts(output: string): number {
  return Number(/and (\d+) failed attempts/.exec(output)?.[1]);
}

test(
  'a worker started with nothing listening prints one line naming the URL and the cause, then connects once Redis starts and serves',
  { skip: skipWithoutRedis },
  async (t) => {
    const started = stopAfter(t);
    const port = await freePort();
    const url = `redis://:${PASSWORD}@127.0.0.1:${port}`;
    const worker = (started.worker = startWorker(url, { root: ROOT, queue: 'late' }));
    await worker.waitFor(/unreachable /);
    started.redis = await startRedis({ port, password: PASSWORD });
    await worker.waitFor(/ connected /);
    const pool = (started.pool = new Pool({ context: 'redis', url, root: ROOT, queue: 'late', stallTimeout: 60_000 }));
    assert.equal(await pool.apply(square, [7]), 49);

    const output = worker.output();
    assert.match(output, /unreachable url=redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ cause="connect ECONNREFUSED [^"]*" message="cannot reach Redis; retrying/);
    // Both of the worker's connections failed at least once, yet one line was printed.
    assert.ok(failedAttempts(output) >= 2, output);
    assert.equal(count(output, /unreachable /), 1, output);
    assert.equal(count(output, / connected /), 1, output);
    assert.doesNotMatch(output, / error /);
    assert.doesNotMatch(output, new RegExp(PASSWORD));
  },
);

test('a worker whose Redis stops mid-run says so once, says when it is back, and keeps serving', { skip: skipWithoutRedis }, async (t) => {
  const started = stopAfter(t);
  const redis = (started.redis = await startRedis());
  const worker = (started.worker = startWorker(redis.url, { root: ROOT, queue: 'away' }));
  await worker.waitFor(/ready/);
  const pool = (started.pool = new Pool({ context: 'redis', url: redis.url, root: ROOT, queue: 'away', stallTimeout: 60_000 }));
  assert.equal(await pool.apply(square, [3]), 9);

  await redis.restart(() => worker.waitFor(/unreachable /));
  await worker.waitFor(/ connected /);
  assert.equal(await pool.apply(square, [4]), 16);

  const output = worker.output();
  assert.match(output, /unreachable url=redis:\/\/127\.0\.0\.1:\d+ cause="[^"]*(ECONNREFUSED|ECONNRESET|Connection is closed)[^"]*"/);
  assert.equal(count(output, /unreachable /), 1, output);
  assert.equal(count(output, / connected /), 1, output);
  assert.doesNotMatch(output, / error /);
});

test('SIGTERM while Redis is unreachable stops the worker at once with code 0', { skip: skipWithoutRedis }, async (t) => {
  const started = stopAfter(t);
  const worker = (started.worker = startWorker(`redis://127.0.0.1:${await freePort()}`, { root: ROOT, queue: 'never' }));
  await worker.waitFor(/unreachable /);
  assert.equal(await worker.stop(), 0);
  assert.match(worker.output(), /stop signal=SIGTERM message="Redis is unreachable: stopping now/);
  assert.match(worker.output(), /stop message=stopped/);
});

test('a worker finishing its tasks after SIGTERM stops at once when Redis goes away meanwhile', { skip: skipWithoutRedis }, async (t) => {
  const started = stopAfter(t);
  const redis = (started.redis = await startRedis());
  const worker = (started.worker = startWorker(redis.url, { root: ROOT, queue: 'leaving' }));
  await worker.waitFor(/ready/);
  const pool = (started.pool = new Pool({ context: 'redis', url: redis.url, root: ROOT, queue: 'leaving' }));
  pool.apply(sleepThen, [600_000, 'never']).catch(() => {});
  await worker.waitFor(/start /);
  // The caller leaves (its running job stays with the worker), so that only the worker meets the outage.
  await pool.terminate();
  worker.child.kill('SIGTERM');
  await worker.waitFor(/finishing the running tasks/);
  // Redis comes back once the worker has exited, so that the pool can be terminated.
  let exitCode: number | null = null;
  await redis.restart(async () => {
    exitCode = await worker.exited();
  });
  assert.equal(exitCode, 0);
  assert.match(worker.output(), /stop message="Redis is unreachable: stopping now/);
});
