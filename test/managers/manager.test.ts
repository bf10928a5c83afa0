import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AuthenticationError, BaseManager, KeyError, Manager, Process, taskRef } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';
import { appendTagged, countUnderLock, putThrough } from '../fixtures/manager-tasks.ts';
import { add, square } from '../fixtures/tasks.ts';
import { endAfter, eventually, forEachContext, isRunning, killAfter } from '../helpers/contexts.ts';

// Each test has a manager (and children) of its own: three run at a time.
describe('managers', { concurrency: 3 }, () => {
  test('dict: keys keep their type, and every method does what Python does', async () => {
    await using manager = await Manager();
    const dict = await manager.dict({ a: 1 });
    await dict.set(1, 'number one');
    await dict.set('1', 'string one');
    await dict.set(1n, 'bigint one');
    assert.deepEqual([await dict.get(1), await dict.get('1'), await dict.get(1n), await dict.get('missing'), await dict.get('missing', 0)], ['number one', 'string one', 'bigint one', undefined, 0]);
    assert.deepEqual([await dict.has('a'), await dict.size()], [true, 4]);
    await dict.update(new Map([['b', 2]]));
    assert.equal(await dict.setDefault('b', 99), 2);
    assert.equal(await dict.setDefault('c', 3), 3);
    assert.equal(await dict.pop('c'), 3);
    assert.equal(await dict.pop('c', 'gone'), 'gone');
    await assert.rejects(dict.pop('c'), KeyError);
    await assert.rejects(dict.set({ object: 'key' } as unknown as string, 1), { name: 'TypeError', message: /key/ });
    const copy = await dict.copy();
    assert.ok(copy instanceof Map);
    assert.deepEqual([...copy.keys()], ['a', 1, '1', 1n, 'b']);
    await dict.delete('a');
    assert.deepEqual(await dict.keys(), [1, '1', 1n, 'b']);
    await dict.clear();
    assert.equal(await dict.size(), 0);
  });

  test('list, Namespace, Value and Array', async () => {
    await using manager = await Manager();
    const list = await manager.list([3, 1, 2]);
    await list.append(4);
    await list.extend([5, 6]);
    await list.insert(0, 0);
    assert.deepEqual(await list.toArray(), [0, 3, 1, 2, 4, 5, 6]);
    assert.deepEqual([await list.pop(), await list.pop(0), await list.get(-1), await list.index(2), await list.count(1)], [6, 0, 5, 2, 1]);
    await list.remove(1);
    await list.sort();
    assert.deepEqual(await list.slice(1, 3), [3, 4]);
    await list.reverse();
    const items: unknown[] = [];
    for await (const item of list) items.push(item);
    assert.deepEqual(items, [5, 4, 3, 2]);
    await assert.rejects(list.get(10), { code: 'ERR_OUT_OF_RANGE' });

    const namespace = await manager.Namespace({ x: 1 });
    await namespace.set('y', [2]);
    assert.deepEqual(await namespace.toObject(), { x: 1, y: [2] });
    await assert.rejects(namespace.get('z'), KeyError);
    const value = await manager.Value('d', 1.5);
    await value.set(2.5);
    assert.equal(await value.get(), 2.5);
    const array = await manager.Array('i', 3);
    await array.set(1, 7);
    assert.deepEqual(await array.toArray(), [0, 7, 0]);
    await assert.rejects((array as unknown as { append(value: number): Promise<void> }).append(1), TypeError); // not exposed: fixed length
    const barrier = await manager.Barrier(3);
    assert.equal(await barrier.parties(), 3); // a property of the local class is an async method here
    await assert.rejects((list as unknown as { notAMethod(): Promise<void> }).notAMethod(), { name: 'TypeError', message: /not a method/ });
  });

  forEachContext((context) => {
    test('objects shared by children through proxies end at exact values (a dict under a Lock, a list)', async (t) => {
      await using manager = await Manager();
      const counts = await manager.dict<string, number>();
      const lock = await manager.Lock();
      const list = await manager.list<[number, number]>();
      const children = [1, 2, 3].map(() => endAfter(t, new Process({ target: countUnderLock, args: [counts, lock, 'n', 20], context })));
      const appenders = [1, 2].map((tag) => endAfter(t, new Process({ target: appendTagged, args: [list, tag, 25], context })));
      for (const child of [...children, ...appenders]) child.start();
      for (const child of [...children, ...appenders]) await child.join();
      assert.deepEqual([...children, ...appenders].map((child) => child.exitCode), [0, 0, 0, 0, 0]);
      assert.equal(await counts.get('n'), 60);
      const appended = (await list.toArray()) as [number, number][];
      assert.equal(appended.length, 50);
      for (const tag of [1, 2]) assert.deepEqual(appended.filter(([from]) => from === tag).map(([, index]) => index), [...Array(25).keys()]);
    });

    test('a manager Queue carries items from a child', { skip: loadNative() ? false : 'the native addon is not built here' }, async (t) => {
      await using manager = await Manager();
      const queue = await manager.Queue();
      const child = endAfter(t, new Process({ target: putThrough, args: [queue, { from: 'child' }], context }));
      child.start();
      await child.join();
      assert.deepEqual(await queue.get(), { from: 'child' });
    });
  });

  test('a Pool proxy runs registered functions in the pool of the manager, and refuses inline ones', async () => {
    await using manager = await Manager();
    const pool = await manager.Pool(2);
    assert.deepEqual(await pool.map(square, [1, 2, 3]), [1, 4, 9]);
    assert.deepEqual(await pool.starmap(add, [[1, 2], [3, 4]]), [3, 7]);
    assert.equal(await pool.apply(add, [10, 4]), 14);
    await assert.rejects(pool.apply((a: number, b: number) => a - b, [10, 4]), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /register\(\)ed/ });
    const pending = await pool.applyAsync(add, [20, 22]);
    assert.equal(await pending.get(10_000), 42);
    assert.equal(await pending.successful(), true);
    const mapped = await pool.mapAsync(square, [4, 5]);
    assert.deepEqual(await mapped.get(), [16, 25]);
    const streamed: number[] = [];
    for await (const value of await pool.imap(square, [1, 2, 3, 4])) streamed.push(value);
    assert.deepEqual(streamed, [1, 4, 9, 16]);
    const unordered = await pool.imapUnordered(square, [5, 6]);
    const first = await unordered.next(10_000);
    assert.ok(first.value === 25 || first.value === 36);
    await pool.close();
    await pool.join();
  });

  test('BaseManager: registered type ids, connect() from elsewhere, a wrong authkey refused', async () => {
    const server = new BaseManager({ address: { host: '127.0.0.1', port: 0 }, authkey: 'secret' });
    server.register('Counter', taskRef(new URL('../fixtures/manager-tasks.ts', import.meta.url), 'makeCounter'));
    await server.start();
    try {
      const counter = await server.create<{ increment(by: number): number; value: number }>('Counter', 10);
      assert.equal(await counter.increment(5), 15);
      assert.equal(await counter.value(), 15);
      await assert.rejects(server.create('Unregistered'), KeyError);
      const client = new BaseManager({ address: server.address, authkey: 'secret' });
      await client.connect();
      const other = await client.create<{ increment(by: number): number }>('Counter', 0);
      assert.equal(await other.increment(2), 2);
      const intruder = new BaseManager({ address: server.address, authkey: 'wrong' });
      await assert.rejects(intruder.connect(), AuthenticationError);
    } finally {
      await server.shutdown();
    }
  });

  test('the manager process ends when its owner is killed with SIGKILL', async (t) => {
    const script = fileURLToPath(new URL('../fixtures/scripts/manager-then-hang.ts', import.meta.url));
    const owner = killAfter(t, spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] }));
    const [line] = (await once(owner.stdout, 'data')) as [Buffer];
    const managerPid = Number(String(line).trim());
    assert.ok(isRunning(managerPid));
    owner.kill('SIGKILL');
    await once(owner, 'exit');
    assert.ok(await eventually(() => !isRunning(managerPid)), `manager ${managerPid} outlived its owner`);
  });
});
