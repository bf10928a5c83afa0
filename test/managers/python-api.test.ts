// The managers' Python API beyond the basics: dict.popitem, list.clear/copy/sort(reverse),
// Python's indexes on list and array proxies, Condition(lock), Barrier(parties, { action,
// timeout }) and start({ initializer, initArgs }), each used from a child process.
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { BaseManager, BrokenBarrierError, KeyError, Manager, Process, SharedMemory, SyncManager, taskRef } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';
import { arriveAt, editEnds, failingInitializer, markManager, popAll, quietAction, sortCopyClear, waitUntilReady } from '../fixtures/manager-api-tasks.ts';

const fixtures = new URL('../fixtures/manager-api-tasks.ts', import.meta.url);

/** Runs `target(...args)` in a child process to its end; the child is killed if the test fails first. */
async function inChild<A extends unknown[]>(t: TestContext, target: (...args: A) => unknown, args: A): Promise<void> {
  const child = new Process({ target, args, context: 'process' });
  t.after(async () => {
    if (child.exitCode === null) child.kill();
    await child.join();
  });
  child.start();
  await child.join();
  assert.equal(child.exitCode, 0, 'the child failed (its error is on stderr)');
}

// Each test has a manager and children of its own: three run at a time.
describe('the Python API of managers', { concurrency: 3 }, () => {
  test('dict.popitem from a child removes items last-in first-out, then is a KeyError on the empty dict', async (t) => {
    await using manager = await Manager();
    const dict = await manager.dict<string, number>([['a', 1], ['b', 2], ['c', 3]]);
    const popped = await manager.list();
    await inChild(t, popAll, [dict, popped]);
    assert.deepEqual(await popped.toArray(), [['c', 3], ['b', 2], ['a', 1], 'KeyError: DictProxy.popitem: the dictionary is empty.']);
    await assert.rejects(dict.popitem(), KeyError);
  });

  test('list proxies take Python indexes from a child: negatives from the end, insert clamps, out of range is a RangeError', async (t) => {
    await using manager = await Manager();
    const list = await manager.list<string>(['a', 'b', 'c']);
    const errors = await manager.list<string>();
    await inChild(t, editEnds, [list, errors]);
    // ['a','b','last'] -> insert(-100) ['first','a','b','last'] -> insert(100) [..., 'end'] -> append(get(-2)) -> pop(-3)
    assert.deepEqual(await list.toArray(), ['first', 'a', 'b', 'end', 'last']);
    assert.deepEqual(await errors.toArray(), ['RangeError ERR_OUT_OF_RANGE', 'RangeError ERR_OUT_OF_RANGE', 'RangeError ERR_OUT_OF_RANGE']);
    assert.equal(await list.get(-1), 'last');
    await assert.rejects(list.get(-6), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    await assert.rejects(list.insert(1.5, 'x'), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    const items: string[] = [];
    for await (const item of list) items.push(item);
    assert.deepEqual(items, ['first', 'a', 'b', 'end', 'last']);
  });

  test('array proxies take Python indexes too, and keep their length', async () => {
    await using manager = await Manager();
    const array = await manager.Array('i', [1, 2, 3]);
    await array.set(-1, 30);
    assert.equal(await array.get(-3), 1);
    assert.deepEqual(await array.toArray(), [1, 2, 30]);
    await assert.rejects(array.get(3), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    await assert.rejects(array.set(-4, 0), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    const wide = await manager.Array('q', 2);
    assert.deepEqual(await wide.toArray(), [0n, 0n]);
    const items: number[] = [];
    for await (const item of array) items.push(item);
    assert.deepEqual(items, [1, 2, 30]);
  });

  test('list.sort({ reverse }), copy() and clear() from a child; sort refuses a key and mixed kinds', async (t) => {
    await using manager = await Manager();
    const list = await manager.list<number>([3, 1, 2]);
    const seen = await manager.Namespace();
    await inChild(t, sortCopyClear, [list, seen]);
    assert.deepEqual(await seen.get('sorted'), [3, 2, 1]);
    assert.equal(await list.length(), 0);
    const copy = await (await manager.list([1])).copy();
    assert.ok(Array.isArray(copy), 'copy() is a plain array');
    const pairs = await manager.list<[number, string]>([[2, 'b'], [1, 'z'], [2, 'a'], [1, 'a']]);
    await pairs.sort();
    assert.deepEqual(await pairs.toArray(), [[1, 'a'], [1, 'z'], [2, 'a'], [2, 'b']]);
    // reverse flips the comparison only: equal items (true == 1, as in Python) keep their order
    const stable = await manager.list<number | boolean>([true, 0, 2, 1]);
    await stable.sort({ reverse: true });
    assert.deepEqual(await stable.toArray(), [2, true, 1, 0]);
    await assert.rejects(pairs.sort({ key: 'first' } as never), { name: 'TypeError', message: /key/ });
    await assert.rejects(pairs.sort({ reverse: 'yes' } as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    const mixed = await manager.list<unknown>([1, 'a']);
    await assert.rejects(mixed.sort(), { name: 'TypeError' });
    assert.deepEqual(await mixed.toArray(), [1, 'a']);
  });

  test('Condition(lock) uses that Lock of the same manager, and wakes a child waiting on it', async (t) => {
    await using manager = await Manager();
    const lock = await manager.Lock();
    const condition = await manager.Condition(lock);
    await condition.acquire();
    assert.equal(await lock.acquire({ block: false }), false, 'the condition holds the given lock');
    await condition.release();
    assert.equal(await lock.acquire({ block: false }), true);
    await lock.release();

    const state = await manager.Namespace<{ ready: boolean; seen: boolean }>({ ready: false, seen: false });
    const child = inChild(t, waitUntilReady, [condition, state]);
    await condition.acquire();
    await state.set('ready', true);
    await condition.notifyAll();
    await condition.release();
    await child;
    assert.equal(await state.get('seen'), true);
    const other = await Manager();
    t.after(() => other.shutdown());
    await assert.rejects(manager.Condition((await other.Lock()) as never), { name: 'TypeError', message: /own manager/ });
  });

  test('Barrier(parties, { action }) releases children and this process together, the action running in the manager', async (t) => {
    await using manager = await Manager();
    const indexes = await manager.list<number>();
    const barrier = await manager.Barrier(3, { action: quietAction, timeout: 60_000 });
    const children = [inChild(t, arriveAt, [barrier, indexes]), inChild(t, arriveAt, [barrier, indexes])];
    await indexes.append(await barrier.wait());
    await Promise.all(children);
    assert.deepEqual([...(await indexes.toArray())].sort(), [0, 1, 2]);
    assert.equal(await barrier.broken(), false);

    const failing = await manager.Barrier(2, { action: taskRef(fixtures, 'failWithPid') });
    const first = failing.wait();
    const outcomes = await Promise.allSettled([first, failing.wait()]);
    const reasons = outcomes.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as Error) : null));
    // As Python's: the last party gets the action's error, the other a BrokenBarrierError.
    const thrown = reasons.find((reason) => reason?.name === 'RangeError');
    assert.match(String(thrown?.message), new RegExp(`action ran in process ${manager.pid}\\b`));
    assert.ok(reasons.some((reason) => reason instanceof BrokenBarrierError));
    assert.equal(await failing.broken(), true);
    await assert.rejects(manager.Barrier(2, { action: () => 1 }), { name: 'TypeError', message: /register/ });
  });

  test('start({ initializer, initArgs }) runs the initializer in the manager process before it serves', { skip: loadNative() ? false : 'SharedMemory needs the native addon' }, async (t) => {
    const memory = new SharedMemory({ create: true, size: 16 });
    t.after(() => memory.unlink());
    const manager = new BaseManager();
    manager.register('Mark', taskRef(fixtures, 'initializerMark'));
    await manager.start({ initializer: markManager, initArgs: ['ready', memory] });
    t.after(() => manager.shutdown());
    const mark = await manager.create<{ label: string; pid: number }>('Mark');
    assert.deepEqual([await mark.label(), await mark.pid()], ['ready', manager.pid]);
    assert.equal(Buffer.from(memory.buf.subarray(0, 5)).toString(), 'ready');
  });

  test('a failing initializer rejects start() with its own error, and the manager process is gone', async () => {
    const manager = new SyncManager();
    await assert.rejects(manager.start({ initializer: failingInitializer }), (error: Error) => {
      assert.equal(error.name, 'RangeError');
      assert.equal(error.message, 'initializer refused to start');
      assert.equal((error.cause as Error)?.name, 'RemoteError');
      return true;
    });
    await assert.rejects(manager.dict(), { name: 'InvalidStateError' });
    await assert.rejects(new SyncManager().start({ initArgs: 'x' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});
