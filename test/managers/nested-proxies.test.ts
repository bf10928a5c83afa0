// A proxy sent to its own manager travels as its object id and reads back as a proxy (Python
// 3.6+ nested proxies); a proxy of another manager is refused where it sits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Manager, Process } from 'multiproc';
import { appendThroughDict } from '../fixtures/manager-tasks.ts';
import { endAfter, forEachContext } from '../helpers/contexts.ts';

forEachContext((context) => {
  test('a list stored in a dict reads back as a proxy, and an append through it from a child is seen by everyone', async (t) => {
    await using manager = await Manager();
    const dict = await manager.dict();
    const list = await manager.list();
    await dict.set('x', list);
    await dict.set('deep', { inside: [list], note: 'data' });
    const child = endAfter(t, new Process({ target: appendThroughDict, args: [dict, 'x', 1], context }));
    child.start();
    await child.join();
    assert.equal(child.exitCode, 0);
    assert.deepEqual(await list.toArray(), [1]);
    const again = (await dict.get('x')) as typeof list;
    await again.append(2);
    assert.deepEqual(await list.toArray(), [1, 2]);
    const deep = (await dict.get('deep')) as { inside: (typeof list)[]; note: string };
    assert.equal(deep.note, 'data');
    assert.deepEqual(await deep.inside[0]!.toArray(), [1, 2]);
  });
});

test("manager.Condition(manager.Lock()) uses the manager's own lock", async () => {
  await using manager = await Manager();
  const lock = await manager.Lock();
  const condition = await manager.Condition(lock);
  assert.equal(await condition.acquire(), true);
  assert.equal(await lock.acquire({ block: false }), false); // the condition holds that very lock
  await condition.notifyAll();
  await condition.release();
  assert.equal(await lock.acquire({ block: false }), true);
  await lock.release();
});

test('a proxy of another manager is refused with a TypeError naming where it sits', async () => {
  await using manager = await Manager();
  await using other = await Manager();
  const dict = await manager.dict();
  const foreign = await other.list();
  await assert.rejects(dict.set('y', { inner: [foreign] }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /set: args\[1\]\.inner\[0\]/ });
  await assert.rejects(manager.Condition(await other.Lock()), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /Condition: args\[0\]/ });
  assert.equal(await dict.size(), 0);
});
