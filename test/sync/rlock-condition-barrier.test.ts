import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Barrier, BrokenBarrierError, Condition, InvalidStateError, Lock, Pool, Process, RLock, SharedMemory } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';
import { awaitCondition, releaseForeign, tryRLock, waitAtBarrier } from '../fixtures/tasks.ts';
import { endAfter, forEachContext } from '../helpers/contexts.ts';

const skip = loadNative() ? false : 'the native addon is not built here';

forEachContext((context) => {
  test('an RLock is reentrant for its owner and closed to other workers until fully released', { skip }, async () => {
    const lock = new RLock();
    await using pool = new Pool({ processes: 1, context });
    assert.equal(await lock.acquire(), true);
    assert.equal(await lock.acquire(), true);
    assert.equal(await pool.apply(tryRLock, [lock]), false);
    await assert.rejects(pool.apply(releaseForeign, [lock]), InvalidStateError);
    lock.release();
    assert.equal(await pool.apply(tryRLock, [lock]), false); // one level still held
    lock.release();
    assert.equal(await pool.apply(tryRLock, [lock]), true); // the worker owns it now
    assert.throws(() => lock.release(), InvalidStateError);
  });

  test('three parties meet at a Barrier and get the indexes 0, 1 and 2', { skip }, async () => {
    const barrier = new Barrier(3);
    await using pool = new Pool({ processes: 3, context });
    const indexes = await pool.map(waitAtBarrier, [barrier, barrier, barrier], { chunkSize: 1 });
    assert.deepEqual(indexes.sort(), [0, 1, 2]);
    assert.equal(barrier.nWaiting, 0);
  });

  test('a child waiting on a Condition is released by notifyAll under the lock', { skip }, async (t) => {
    const memory = new SharedMemory({ create: true, size: 8 });
    try {
      const condition = new Condition();
      const child = endAfter(t, new Process({ target: awaitCondition, args: [condition, memory], context }));
      child.start();
      await condition.acquire();
      memory.buf[0] = 1;
      condition.notifyAll();
      condition.release();
      await child.join();
      assert.equal(child.exitCode, 0);
      assert.equal(memory.buf[1], 2);
    } finally {
      memory.unlink();
    }
  });
});

test('Condition: wait and notify need the lock; wait times out with false; a plain Lock works too', async () => {
  const condition = new Condition(new Lock());
  await assert.rejects(condition.wait(1), InvalidStateError);
  assert.throws(() => condition.notify(), InvalidStateError);
  await condition.acquire();
  assert.equal(await condition.wait(10), false);
  assert.equal(await condition.waitFor(() => 0, 10), 0);
  condition.notify(2);
  condition.release();
  assert.throws(() => new Condition({} as never), TypeError);
});

test('Barrier: a timeout breaks it for everyone, reset() repairs it, abort() breaks waiters', async () => {
  const barrier = new Barrier(2);
  await assert.rejects(barrier.wait(10), BrokenBarrierError);
  assert.equal(barrier.broken, true);
  await assert.rejects(barrier.wait(), BrokenBarrierError);
  barrier.reset();
  assert.equal(barrier.broken, false);
  const waiting = barrier.wait();
  barrier.abort();
  await assert.rejects(waiting, BrokenBarrierError);
  barrier.reset();
  const interrupted = barrier.wait();
  barrier.reset();
  await assert.rejects(interrupted, { name: 'BrokenBarrierError', message: /reset/ });
});

test('Barrier: the action runs once per generation; an action that throws breaks the barrier', async () => {
  let runs = 0;
  const barrier = new Barrier(2, { action: () => void runs++ });
  await Promise.all([barrier.wait(), barrier.wait()]);
  await Promise.all([barrier.wait(), barrier.wait()]);
  assert.equal(runs, 2);
  const failing = new Barrier(1, { action: () => { throw new Error('action failed'); } });
  await assert.rejects(failing.wait(), { message: 'action failed' });
  assert.equal(failing.broken, true);
  assert.throws(() => new Barrier(0), RangeError);
});
