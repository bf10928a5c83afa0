// A manager's RLock belongs to the client that acquired it (a process, or a thread: each has a
// link of its own), as Python's manager serves each connection on a thread of its own: another
// client's acquire waits, its release and a Condition's wait/notify are refused. Beyond
// Python, a lock held by a client that dies passes on to the next acquirer.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type ContextName, InvalidStateError, Manager, Process } from 'multiproc';
import { announceReady, holdUntilKilled, misuseCondition, takeTwice, tryOthersLock } from '../fixtures/manager-lock-tasks.ts';
import { forEachContext } from '../helpers/contexts.ts';

/** Starts `target(...args)` in a child (process or thread), killed at the end of the test if it still runs. */
function startChild<A extends unknown[]>(t: TestContext, context: ContextName, target: (...args: A) => unknown, args: A): Process<A> {
  const child = new Process({ target, args, context });
  t.after(async () => {
    if (child.exitCode === null) child.kill();
    await child.join();
  });
  child.start();
  return child;
}

/** Runs `target(...args)` in a child to its end and checks that it succeeded. */
async function runChild<A extends unknown[]>(t: TestContext, context: ContextName, target: (...args: A) => unknown, args: A): Promise<void> {
  const child = startChild(t, context, target, args);
  await child.join();
  assert.equal(child.exitCode, 0, 'the child failed (its error is on stderr)');
}

const REFUSED = 'InvalidStateError ERR_MP_INVALID_STATE';
const run = promisify(execFile);
const script = fileURLToPath(new URL('../fixtures/scripts/manager-lock-ownership.ts', import.meta.url));

forEachContext((context) => {
  test('a child cannot take an RLock this process holds: a non-blocking acquire is false, a timed one times out, its release is refused', async (t) => {
    await using manager = await Manager();
    const lock = await manager.RLock();
    const results = await manager.list();
    assert.equal(await lock.acquire(), true);
    await runChild(t, context, tryOthersLock, [lock, results, 50]);
    assert.deepEqual(await results.toArray(), [false, false, REFUSED]);
    await lock.release(); // still this process's, after all the child tried
    assert.equal(await lock.acquire({ block: false }), true);
    await lock.release();
  });

  test('once this process releases its RLock, a child waiting for it takes it, re-enters it, and cannot release it once too often', async (t) => {
    await using manager = await Manager();
    const lock = await manager.RLock();
    const results = await manager.list();
    assert.equal(await lock.acquire(), true);
    const child = runChild(t, context, takeTwice, [lock, results]);
    await lock.release();
    await child;
    assert.deepEqual(await results.toArray(), [true, true, REFUSED]);
    assert.equal(await lock.acquire({ block: false }), true, 'the child released both levels');
    await lock.release();
  });

  test("a Condition's notify, notifyAll and wait from a child that does not own its RLock are refused, while this process holds it and while it is free", async (t) => {
    await using manager = await Manager();
    const condition = await manager.Condition();
    const results = await manager.list();
    assert.equal(await condition.acquire(), true);
    await runChild(t, context, misuseCondition, [condition, results]);
    await condition.notifyAll(); // this process owns it: allowed
    await condition.release();
    await runChild(t, context, misuseCondition, [condition, results]);
    assert.deepEqual(await results.toArray(), [REFUSED, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED]);
  });

  test('an RLock or a Lock held by a child that is killed passes to this process, which was already waiting for it', async (t) => {
    await using manager = await Manager();
    for (const lock of [await manager.RLock(), await manager.Lock()]) {
      const held = await manager.Event();
      const child = startChild(t, context, holdUntilKilled, [lock, held]);
      assert.equal(await held.wait(120_000), true, 'the child took the lock');
      assert.equal(await lock.acquire({ block: false }), false);
      const waiting = lock.acquire({ timeout: 120_000 });
      child.kill();
      await child.join();
      assert.equal(await waiting, true, 'the dead holder\'s lock came to the waiter');
      await lock.release();
    }
  });
});

test('the owner re-enters its RLock through any proxy of it in this process, and releasing once too often is an InvalidStateError', async () => {
  await using manager = await Manager();
  const lock = await manager.RLock();
  const dict = await manager.dict();
  await dict.set('lock', lock);
  const again = (await dict.get('lock')) as typeof lock;
  assert.equal(await lock.acquire(), true);
  assert.equal(await again.acquire({ block: false }), true);
  await again.release();
  await lock.release();
  await assert.rejects(lock.release(), { name: 'InvalidStateError', message: /RLock\.release: cannot release un-acquired lock/ });
  await assert.rejects(again.release(), InvalidStateError);
});

test("a Condition and its RLock have one owner per client: the condition's acquire makes this process the RLock's owner", async () => {
  await using manager = await Manager();
  const lock = await manager.RLock();
  const condition = await manager.Condition(lock);
  assert.equal(await condition.acquire(), true);
  assert.equal(await lock.acquire({ block: false }), true, 're-entered by its owner');
  await lock.release();
  assert.equal(await condition.wait(0), false, 'no notify came: the wait timed out, and the lock is held again');
  await condition.notify();
  await condition.release();
  await assert.rejects(condition.notify(), { name: 'InvalidStateError', message: /Condition\.notify: cannot notify on un-acquired lock/ });
  await assert.rejects(condition.wait(0), { name: 'InvalidStateError', message: /Condition\.wait: cannot wait on un-acquired lock/ });
});

test('a Lock may be released by another client while it is held, as in Python, and not when it is free', async (t) => {
  await using manager = await Manager();
  const lock = await manager.Lock();
  const results = await manager.list();
  assert.equal(await lock.acquire(), true);
  await runChild(t, 'process', tryOthersLock, [lock, results, 50]);
  assert.deepEqual(await results.toArray(), [false, false, 'done']);
  assert.equal(await lock.acquire({ block: false }), true, 'the child released it');
  await lock.release();
  await assert.rejects(lock.release(), { name: 'InvalidStateError', message: /Lock\.release: release unlocked lock/ });
});

test("a lock proxy's hold() holds it for an `await using` block, as Python's `with lock:`, and a timed one that cannot take it is a TimeoutError", async (t) => {
  await using manager = await Manager();
  const lock = await manager.Lock();
  const results = await manager.list();
  {
    await using _ = await lock.hold();
    await runChild(t, 'process', tryOthersLock, [lock, results, 50]); // its release frees it: a Lock has no owner
    assert.deepEqual(await results.toArray(), [false, false, 'done']);
    assert.equal(await lock.acquire({ block: false }), true);
    await assert.rejects(lock.hold({ timeout: 10 }), { name: 'TimeoutError', message: /Lock proxy: hold: not acquired within 10 ms/ });
  } // the block's release frees it again
  assert.equal(await lock.acquire({ block: false }), true);
  await lock.release();
  const rlock = await manager.RLock();
  {
    await using _ = await rlock.hold();
    assert.equal(await rlock.acquire({ block: false }), true);
    await rlock.release();
  }
  await assert.rejects(rlock.release(), InvalidStateError);
});

test("a Condition proxy's waitFor() runs its predicate here between waits, until a child makes it true", async (t) => {
  await using manager = await Manager();
  const condition = await manager.Condition();
  const state = await manager.Namespace<{ ready: boolean }>({ ready: false });
  await condition.acquire();
  const child = runChild(t, 'process', announceReady, [condition, state]); // it takes the lock while this process waits
  assert.equal(await condition.waitFor(() => state.get('ready'), 120_000), true);
  assert.equal(await condition.waitFor(() => false, 0), false, 'a timeout gives the last value');
  await assert.rejects(condition.waitFor('ready' as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  await condition.release();
  await child;
});

for (const withAddon of [true, false]) {
  test(`each client is an owner of its own, and a killed holder's RLock passes on (${withAddon ? 'shared-memory calls' : 'MULTIPROC_NO_NATIVE=1: one socket connection per client'})`, async () => {
    const env = { ...process.env, ...(withAddon ? {} : { MULTIPROC_NO_NATIVE: '1' }) };
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { env, timeout: 120_000 });
    assert.deepEqual(JSON.parse(stdout), { tried: [false, false, REFUSED], exitCode: 0, isHeld: true, tookOver: true });
  });
}
