import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CancelledError, InvalidStateError, Pool } from 'multiproc';
import { initialize, spinForever, square, workerIdentity } from '../fixtures/tasks.ts';
import { eventually, forEachContext, multiprocChildren } from '../helpers/contexts.ts';

forEachContext((context) => {
  test('a closed pool refuses new work with InvalidStateError', async (t) => {
    const pool = new Pool({ processes: 1, context });
    t.after(() => pool.terminate());
    pool.close();
    await assert.rejects(pool.map(square, [1]), InvalidStateError);
    assert.throws(() => pool.applyAsync(square, [1]), InvalidStateError);
    assert.throws(() => pool.imap(square, [1]), InvalidStateError);
    await pool.join();
  });

  test('close lets queued work finish before the workers exit', async (t) => {
    const pool = new Pool({ processes: 1, context });
    t.after(() => pool.terminate());
    const pending = pool.map(square, [1, 2, 3], { chunkSize: 1 });
    pool.close();
    await pool.join();
    assert.deepEqual(await pending, [1, 4, 9]);
  });

  test('join before close or terminate rejects with InvalidStateError', async (t) => {
    const pool = new Pool({ processes: 1, context });
    t.after(() => pool.terminate());
    await assert.rejects(pool.join(), InvalidStateError);
    await pool.terminate();
  });

  test('terminate cancels pending results with CancelledError and stops the workers', async (t) => {
    const pool = new Pool({ processes: 1, context });
    t.after(() => pool.terminate());
    const running = assert.rejects(pool.apply(spinForever), CancelledError);
    const queued = assert.rejects(pool.apply(square, [2]), CancelledError);
    await pool.terminate();
    await running;
    await queued;
    await pool.join();
    assert.equal(pool.workerPids().length, 0);
  });
});


forEachContext((context) => {
  test("a closed pool's idle workers are reused by the next pool of the same kind", async () => {
    const first = new Pool({ processes: 1, context });
    const before = await first.apply(workerIdentity);
    first.close();
    await first.join();
    await using second = new Pool({ processes: 1, context });
    assert.equal(await second.apply(workerIdentity), before);
  });

  test('a pool with an initializer starts workers of its own', async () => {
    const first = new Pool({ processes: 1, context });
    const before = await first.apply(workerIdentity);
    first.close();
    await first.join();
    await using second = new Pool({ processes: 1, context, initializer: initialize, initArgs: [1] });
    assert.notEqual(await second.apply(workerIdentity), before);
  });
});

test('a run of pool tests leaves no child process behind', async () => {
  const isClean = await eventually(() => multiprocChildren().length === 0);
  assert.ok(isClean, `children left: ${multiprocChildren().join('; ')}`);
});
