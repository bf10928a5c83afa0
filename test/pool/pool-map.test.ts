import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsyncResult, InvalidStateError, Pool, TimeoutError } from 'multiproc';
import { add, failInitializer, readInitialized, slowSquare, spinForever, square, workerIdentity } from '../fixtures/tasks.ts';
import { forEachContext, ownPool, sharedPool } from '../helpers/contexts.ts';

forEachContext((context) => {
  const shared = sharedPool(context);

  test('map returns each result in input order', async () => {
    const items = Array.from({ length: 1000 }, (_, index) => index);
    assert.deepEqual(await shared().map(square, items), items.map((x) => x * x));
  });

  test('map of an empty input is an empty array', async () => {
    assert.deepEqual(await shared().map(square, []), []);
  });

  test('map with an explicit chunkSize and with chunkSize 1 gives the same results', async () => {
    const items = Array.from({ length: 101 }, (_, index) => index);
    assert.deepEqual(await shared().map(square, items, { chunkSize: 7 }), items.map((x) => x * x));
    assert.deepEqual(await shared().map(square, items, { chunkSize: 1 }), items.map((x) => x * x));
  });

  test('map reads sync and async iterables', async () => {
    async function* numbers() {
      for (let x = 1; x <= 5; x++) yield x;
    }
    assert.deepEqual(await shared().map(square, new Set([1, 2, 3])), [1, 4, 9]);
    assert.deepEqual(await shared().map(square, numbers()), [1, 4, 9, 16, 25]);
  });

  test('map awaits async task functions', async () => {
    assert.deepEqual(await shared().map(slowSquare, [1, 2, 3]), [1, 4, 9]);
  });

  test('map runs an inline function sent as its source', async () => {
    assert.deepEqual(await shared().map((x: number) => x * 2 + 1, [1, 2, 3]), [3, 5, 7]);
  });

  test('starmap spreads each item as arguments', async () => {
    assert.deepEqual(await shared().starmap(add, [[1, 2], [3, 4], [5, 6]]), [3, 7, 11]);
  });

  test('the work is spread over both workers', async () => {
    const seen = new Set(await shared().map(workerIdentity, Array.from({ length: 8 }), { chunkSize: 1 }));
    // Tasks of a function not yet timed go one at a time to idle workers: both get the first ones.
    assert.equal(seen.size, 2);
    assert.equal(shared().workerPids().length, 2);
  });

  test('apply runs one call with its arguments', async () => {
    assert.equal(await shared().apply(add, [2, 3]), 5);
  });

  test('applyAsync returns an AsyncResult that is ready, successful and thenable', async () => {
    let called: number | undefined;
    const result = shared().applyAsync(square, [6], { callback: (value) => (called = value) });
    assert.ok(result instanceof AsyncResult);
    assert.equal(await result, 36);
    assert.equal(await result.get(), 36);
    assert.equal(result.ready(), true);
    assert.equal(result.successful(), true);
    assert.equal(called, 36);
  });

  test('AsyncResult.successful throws InvalidStateError while not ready; get(0) rejects with TimeoutError', async () => {
    const result = shared().applyAsync(slowSquare, [3]);
    assert.equal(result.ready(), false);
    assert.throws(() => result.successful(), InvalidStateError);
    await assert.rejects(result.get(0), TimeoutError);
    await result.wait();
    assert.equal(await result.get(), 9);
  });

  test('mapAsync and starmapAsync call back with the whole list', async () => {
    const lists: unknown[] = [];
    const mapped = shared().mapAsync(square, [1, 2], { callback: (list) => lists.push(list) });
    const starred = shared().starmapAsync(add, [[1, 1]], { callback: (list) => lists.push(list) });
    assert.deepEqual(await mapped.get(), [1, 4]);
    assert.deepEqual(await starred.get(), [2]);
    assert.deepEqual(lists.sort(), [[1, 4], [2]].sort());
  });

  test('progress is reported as results arrive, ending at the total', async () => {
    const reports: [number, number | undefined][] = [];
    await shared().map(square, [1, 2, 3, 4], { chunkSize: 1, progress: (done, total) => reports.push([done, total]) });
    assert.deepEqual(reports.at(-1), [4, 4]);
    assert.ok(reports.every(([, total]) => total === 4));
  });

  test('a long task does not block the other worker', async (t) => {
    const pool = ownPool(t, context); // the blocked worker spins until the pool ends
    const blocked = pool.applyAsync(spinForever, [], { taskTimeout: 60_000, signal: new AbortController().signal });
    assert.equal(await pool.apply(square, [5]), 25);
    assert.equal(blocked.ready(), false);
  });
});

forEachContext((context) => {
  test('initializer runs in every worker with initArgs', async () => {
    await using pool = new Pool({ processes: 2, context, initializer: (await import('../fixtures/tasks.ts')).initialize, initArgs: [{ ready: true }] });
    const values = await pool.map(readInitialized, [1, 2, 3, 4], { chunkSize: 1 });
    assert.deepEqual(values, Array(4).fill({ ready: true }));
  });

  test('an initializer that throws fails the waiting work with its error instead of respawning forever', async () => {
    await using pool = new Pool({ processes: 1, context, initializer: failInitializer });
    await assert.rejects(pool.apply(square, [2]), { name: 'Error', message: 'initializer refused' });
    await assert.rejects(pool.apply(square, [3]), { name: 'Error', message: 'initializer refused' });
  });

  test('maxTasksPerChild replaces a worker after that many tasks', async () => {
    await using pool = new Pool({ processes: 1, context, maxTasksPerChild: 1 });
    const first = await pool.apply(workerIdentity);
    const second = await pool.apply(workerIdentity);
    assert.notEqual(first, second);
  });

  test('await using closes the pool after its work finished', async () => {
    let result: number[] = [];
    {
      await using pool = new Pool({ processes: 1, context });
      result = await pool.map(square, [3]);
    }
    assert.deepEqual(result, [9]);
  });
});
