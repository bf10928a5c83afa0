import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool, TimeoutError, WorkerLostError } from 'multiproc';
import { exhaustHeap, exitWith, killSelf, spinForever, square } from '../fixtures/tasks.ts';
import { forEachContext, ownPool } from '../helpers/contexts.ts';

// Every test here kills, crashes or times out a worker: each has a pool of its own.
forEachContext((context) => {

  test('a worker that exits mid-task fails that task with WorkerLostError and the pool keeps serving', async (t) => {
    const pool = ownPool(t, context);
    await assert.rejects(pool.apply(exitWith, [3]), (error: Error) => {
      assert.ok(error instanceof WorkerLostError);
      assert.match(error.message, /exited with code 3/);
      return true;
    });
    assert.deepEqual(await pool.map(square, [1, 2, 3]), [1, 4, 9]);
    assert.equal(pool.workerPids().length, 2);
  });

  test('only the tasks the dead worker held fail; the other calls complete', async (t) => {
    const pool = ownPool(t, context);
    const lost = pool.apply(exitWith, [1]);
    const others = pool.map(square, Array.from({ length: 50 }, (_, index) => index), { chunkSize: 1 });
    await assert.rejects(lost, WorkerLostError);
    assert.equal((await others).length, 50);
  });

  test('a task running past taskTimeout fails with TimeoutError and its worker is replaced', async (t) => {
    const pool = ownPool(t, context);
    await assert.rejects(pool.apply(spinForever, [], { taskTimeout: 300 }), TimeoutError);
    assert.equal(await pool.apply(square, [4]), 16);
  });

  test('aborting a call rejects it with the signal reason and stops its running task', async (t) => {
    const pool = ownPool(t, context);
    const controller = new AbortController();
    const call = pool.map(spinForever as () => never, [1, 2, 3, 4, 5], { chunkSize: 1, signal: controller.signal });
    const aborted = assert.rejects(call, { name: 'AbortError' });
    controller.abort();
    await aborted;
    assert.deepEqual(await pool.map(square, [6]), [36]);
  });

  test('a call made with an aborted signal rejects at once with its reason', async (t) => {
    const pool = ownPool(t, context);
    const reason = new Error('stop');
    await assert.rejects(pool.apply(square, [1], { signal: AbortSignal.abort(reason) }), (error) => error === reason);
  });
});

test('process context: a worker killed with SIGKILL fails its task with WorkerLostError', async () => {
  await using pool = new Pool({ processes: 1, context: 'process' });
  await assert.rejects(pool.apply(killSelf), { name: 'WorkerLostError', message: /killed by signal 9/ });
  const [pid] = pool.workerPids();
  const held = pool.apply(spinForever);
  await new Promise((resolve) => setImmediate(resolve)); // the task is dispatched (held) after a tick
  process.kill(pid, 'SIGKILL');
  await assert.rejects(held, WorkerLostError);
  assert.equal(await pool.apply(square, [3]), 9);
});

test('thread context: a task that exhausts its heap under resourceLimits fails with WorkerLostError', async () => {
  await using pool = new Pool({ processes: 1, context: 'thread', resourceLimits: { maxOldGenerationSizeMb: 32 } });
  await assert.rejects(pool.apply(exhaustHeap), { name: 'WorkerLostError', message: /out of memory/ });
  assert.equal(await pool.apply(square, [3]), 9);
});

test('process context: an out-of-memory abort fails the task with WorkerLostError', async () => {
  await using pool = new Pool({ processes: 1, context: 'process', resourceLimits: { maxOldGenerationSizeMb: 32 } });
  await assert.rejects(pool.apply(exhaustHeap), WorkerLostError);
  assert.equal(await pool.apply(square, [3]), 9);
});
