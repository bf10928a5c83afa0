// Managed objects are freed once no proxy refers to them (Python's incref/decref): a proxy
// disposed, a client gone, a proxy collected; a proxy on its way to a child counts meanwhile,
// and a proxy stored in a managed object counts while it is stored.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Manager, Process, Queue, type SyncManager } from 'multiproc';
import { setKey, setKeyAndDispose, setKeyAndHold } from '../fixtures/manager-ref-tasks.ts';
import { endAfter, forEachContext } from '../helpers/contexts.ts';

const run = promisify(execFile);

/**
 * Whether the manager's object count reaches `expected`, asked every 20 ms for at most 15 s:
 * a client that dies sends nothing, the manager notices its death by itself.
 */
async function countReaches(manager: SyncManager, expected: number): Promise<boolean> {
  for (let attempt = 0; attempt < 750; attempt++) {
    if ((await manager._objectCount()) === expected) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

test('an object is freed as soon as its only proxy is disposed, by using or by Symbol.dispose', async () => {
  await using manager = await Manager();
  const before = await manager._objectCount();
  {
    using dict = await manager.dict();
    await dict.set('a', 1);
    assert.equal(await manager._objectCount(), before + 1);
  }
  // The decref went out before this call, on the same link: no waiting needed.
  assert.equal(await manager._objectCount(), before);
  const list = await manager.list([1]);
  await list[Symbol.asyncDispose]();
  assert.equal(await manager._objectCount(), before);
});

test('an object with two proxies lives until both are disposed', async () => {
  await using manager = await Manager();
  const before = await manager._objectCount();
  const dict = await manager.dict();
  const holder = await manager.dict();
  await holder.set('inner', dict);
  const again = (await holder.get('inner')) as typeof dict;
  await holder[Symbol.asyncDispose](); // frees holder; the stored marker goes when collected
  await dict[Symbol.asyncDispose]();
  await again.set('still', 'here');
  assert.equal(await again.get('still'), 'here');
  await again[Symbol.asyncDispose]();
  // Only the stored marker (collected in the manager whenever its GC runs) may still count.
  assert.ok((await manager._objectCount()) <= before + 1);
});

test('a call on a disposed proxy, or sending it, is refused with InvalidStateError', async () => {
  await using manager = await Manager();
  const dict = await manager.dict();
  const list = await manager.list();
  list[Symbol.dispose]();
  await assert.rejects(list.append(1), { name: 'InvalidStateError', message: /list proxy: append: this proxy was disposed/ });
  await assert.rejects(dict.set('x', list), { name: 'InvalidStateError', message: /set: args\[1\]: this list proxy was disposed/ });
  assert.throws(() => new Process({ target: setKey, args: [list as never, 'x', 1] }).start(), { name: 'InvalidStateError', message: /this list proxy was disposed/ });
  list[Symbol.dispose](); // twice: nothing more happens
  assert.equal(await dict.size(), 0);
});

test('a proxy stored in a managed object keeps its object alive after its own proxy is disposed', async () => {
  await using manager = await Manager();
  const dict = await manager.dict();
  const list = await manager.list();
  await dict.set('items', { nested: [list] });
  const count = await manager._objectCount();
  await list[Symbol.asyncDispose]();
  assert.equal(await manager._objectCount(), count);
  const stored = ((await dict.get('items')) as { nested: (typeof list)[] }).nested[0]!;
  await stored.append(7);
  assert.deepEqual(await stored.toArray(), [7]);
});

test('a proxy put on a manager queue counts while queued: taken out after its sender disposed it, it still works', async () => {
  await using manager = await Manager();
  const queue = await manager.Queue();
  const list = await manager.list([1]);
  await queue.put({ item: list });
  await list[Symbol.asyncDispose]();
  const { item } = (await queue.get()) as { item: typeof list };
  await item.append(2);
  assert.deepEqual(await item.toArray(), [1, 2]);
});

forEachContext((context) => {
  test('a proxy sent to a child and disposed by the parent at once still works in the child, and is freed when the child ends', async (t) => {
    await using manager = await Manager();
    const before = await manager._objectCount();
    const dict = await manager.dict();
    const child = endAfter(t, new Process({ target: setKey, args: [dict, 'k', 42], context }));
    child.start();
    dict[Symbol.dispose](); // the record in flight still counts: the child's set() finds the dict
    await child.join();
    assert.equal(child.exitCode, 0);
    assert.ok(await countReaches(manager, before), 'the dict the child held is freed once the child ended');
  });

  test("a child's references are dropped when it ends, whether it disposed its proxy or not", async (t) => {
    await using manager = await Manager();
    const before = await manager._objectCount();
    for (const target of [setKeyAndDispose, setKey]) {
      const dict = await manager.dict();
      const child = endAfter(t, new Process({ target, args: [dict, 'k', 1], context }));
      child.start();
      await child.join();
      assert.equal(child.exitCode, 0);
      assert.equal(await dict.get('k'), 1);
      await dict[Symbol.asyncDispose]();
      assert.ok(await countReaches(manager, before), `freed after a child running ${target.name} ended`);
    }
  });
});

test('the references of a child killed with SIGKILL are dropped', async (t) => {
  await using manager = await Manager();
  const before = await manager._objectCount();
  const dict = await manager.dict();
  const ready = new Queue<string>();
  const child = endAfter(t, new Process({ target: setKeyAndHold, args: [dict, 'k', 1, ready] }));
  child.start();
  try {
    assert.equal(await ready.get({ timeout: 30_000 }), 'set');
    await dict[Symbol.asyncDispose]();
    assert.equal(await manager._objectCount(), before + 1); // the child's proxy holds it
    child.kill();
    await child.join();
    assert.ok(await countReaches(manager, before), 'freed once the killed child was noticed gone');
  } finally {
    if (child.exitCode === null) child.kill();
    await child.join();
    ready.close();
  }
});

for (const withAddon of [true, false]) {
  test(`a proxy that is never disposed is freed once garbage-collected (${withAddon ? 'shared-memory calls' : 'MULTIPROC_NO_NATIVE=1: socket calls'})`, async () => {
    const script = fileURLToPath(new URL('../fixtures/scripts/manager-gc.ts', import.meta.url));
    const env = { ...process.env, ...(withAddon ? {} : { MULTIPROC_NO_NATIVE: '1' }) };
    const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', script], { env, timeout: 60_000 });
    assert.deepEqual(JSON.parse(stdout), { whileHeld: 1, afterCollection: 0 });
  });
}
