// The Pool of the redis context: every task method through a real redis-server and two real
// `multiproc worker` processes, values kept by the same serialization as locally.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Event, getContext, InvalidStateError, Pool, ProcessPoolExecutor } from 'multiproc';
import { add, echo, failWith, sleepThen, square } from '../fixtures/redis-tasks.ts';
import { type RedisServer, skipWithoutRedis, startRedis, startWorker, type WorkerProcess } from '../helpers/redis.ts';

const ROOT = fileURLToPath(new URL('../fixtures/', import.meta.url));

describe('the redis context', { skip: skipWithoutRedis }, () => {
  let redis: RedisServer;
  let workers: WorkerProcess[] = [];
  let pool: Pool;

  before(async () => {
    redis = await startRedis();
    workers = [startWorker(redis.url, { root: ROOT }), startWorker(redis.url, { root: ROOT })];
    await Promise.all(workers.map((worker) => worker.waitFor(/ready/)));
    pool = new Pool({ context: 'redis', url: redis.url, root: ROOT, stallTimeout: 60_000 });
  });

  after(async () => {
    await pool?.terminate();
    await Promise.all(workers.map((worker) => worker.stop()));
    await redis?.stop();
  });

  test('map, starmap, apply and their async forms give results in input order', async () => {
    const items = Array.from({ length: 1000 }, (_, index) => index);
    assert.deepEqual(await pool.map(square, items), items.map((x) => x * x));
    assert.deepEqual(await pool.map(square, items, { chunkSize: 7 }), items.map((x) => x * x));
    assert.deepEqual(await pool.starmap(add, [[1, 2], [3, 4]]), [3, 7]);
    assert.equal(await pool.apply(add, [20, 22]), 42);
    assert.equal(await pool.applyAsync(square, [9]).get(), 81);
    assert.deepEqual(await pool.mapAsync(square, [1, 2, 3]).get(), [1, 4, 9]);
    assert.deepEqual(await pool.starmapAsync(add, [[1, 1]]).get(), [2]);
    assert.deepEqual(await pool.map(square, []), []);
  });

  test('imap streams in order and imapUnordered yields every result', async () => {
    const ordered: number[] = [];
    for await (const value of pool.imap(square, [1, 2, 3, 4, 5], { chunkSize: 2 })) ordered.push(value);
    assert.deepEqual(ordered, [1, 4, 9, 16, 25]);
    const unordered: number[] = [];
    for await (const value of pool.imapUnordered(square, [1, 2, 3, 4, 5])) unordered.push(value);
    assert.deepEqual(unordered.sort((a, b) => a - b), [1, 4, 9, 16, 25]);
  });

  test('Map, Set, bigint, Date, typed arrays and errors survive the trip both ways', async () => {
    const value = {
      map: new Map<unknown, unknown>([[1, 'one'], ['big', 2n ** 70n]]),
      set: new Set([new Date(86_400_000), 'x']),
      floats: new Float64Array([1.5, -0]),
      bytes: new Uint8Array([1, 2, 255]),
      error: new RangeError('kept as data'),
      nested: [undefined, null, Number.NaN, -0],
    };
    const back = (await pool.apply(echo, [value])) as typeof value;
    assert.deepEqual(back.map, value.map);
    assert.deepEqual(back.set, value.set);
    assert.deepEqual(back.floats, value.floats);
    assert.deepEqual(back.bytes, value.bytes);
    assert.ok(back.error instanceof RangeError);
    assert.equal(back.error.message, 'kept as data');
    assert.deepEqual(back.nested, value.nested);
  });

  test('a task error arrives with its class and message, the remote stack as its cause', async () => {
    await assert.rejects(pool.apply(failWith, ['no such thing']), (error: Error) => {
      assert.ok(error instanceof RangeError);
      assert.equal(error.message, 'no such thing');
      assert.equal((error.cause as Error)?.name, 'RemoteError');
      return true;
    });
    await assert.rejects(pool.map(failWith, ['first']), { name: 'RangeError', message: 'first' });
  });

  test('taskTimeout fails a task running longer with TimeoutError; the worker keeps serving', async () => {
    await assert.rejects(pool.apply(sleepThen, [30_000, 'late'], { taskTimeout: 100 }), { name: 'TimeoutError', message: /taskTimeout/ });
    assert.equal(await pool.apply(square, [5]), 25);
  });

  test('an aborted call rejects with the signal reason and its queued jobs are dropped', async () => {
    const idle = new Pool({ context: 'redis', url: redis.url, root: ROOT, queue: 'nobody-serves-this' });
    try {
      const controller = new AbortController();
      const pending = idle.map(square, [1, 2, 3], { signal: controller.signal });
      controller.abort();
      await assert.rejects(pending, { name: 'AbortError' });
    } finally {
      await idle.terminate();
    }
  });

  test('progress is reported as results arrive', async () => {
    const reports: number[] = [];
    await pool.map(square, [1, 2, 3, 4], { chunkSize: 1, progress: (done) => reports.push(done) });
    assert.equal(reports.at(-1), 4);
  });

  test('an inline function or a handle in the arguments is a TypeError at the call', async () => {
    await assert.rejects(pool.apply((x: number) => x, [1]), { name: 'TypeError', message: /redis context/ });
    assert.throws(() => pool.applyAsync(echo, [new Event()]), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => pool.applyAsync(echo, [{ fn: () => 1 }]), { name: 'TypeError', message: /args\[0\]\.fn/ });
  });

  test("getContext('redis') carries Pool and ProcessPoolExecutor; its local-only members throw InvalidStateError", async () => {
    const ctx = getContext('redis', { url: redis.url, root: ROOT });
    const ctxPool = new ctx.Pool();
    try {
      assert.deepEqual(await ctxPool.map(square, [2, 3]), [4, 9]);
    } finally {
      await ctxPool.terminate();
    }
    assert.throws(() => ctx.Process(), (error: Error) => error instanceof InvalidStateError && /local-only/.test(error.message));
    assert.throws(() => new ctx.Queue(), InvalidStateError);
    assert.throws(() => new ctx.Lock(), /Lock is local-only/);
    assert.equal(ctx.getStartMethod(), 'redis');
  });

  test('ProcessPoolExecutor({ context: "redis" }) runs submitted calls on the workers', async () => {
    const executor = new ProcessPoolExecutor({ context: 'redis', url: redis.url, root: ROOT });
    try {
      assert.equal(await executor.submit(add, 40, 2).result(), 42);
    } finally {
      await executor.shutdown();
    }
  });

  test('close and join release the connections once the work is done', async () => {
    const own = new Pool({ context: 'redis', url: redis.url, root: ROOT });
    const pending = own.map(square, [1, 2, 3]);
    own.close();
    assert.deepEqual(await pending, [1, 4, 9]);
    await own.join();
    await assert.rejects(own.map(square, [1]), InvalidStateError);
  });
});
