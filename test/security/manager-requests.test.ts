// A manager survives any authenticated client (SPEC §14): each request is checked for shape,
// only listed methods are callable, sizes are bounded before anything is allocated, and other
// clients keep being served.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BaseManager, Client, type Connection, EOFError, KeyError, Manager } from 'multiproc';

const authkey = 'requests-secret';

async function rawClient(t: { after(fn: () => void): void }, address: Parameters<typeof Client>[0]['address']): Promise<Connection> {
  const connection = await Client({ address, authkey });
  t.after(() => connection.close());
  return connection;
}

/** Sends one request as plain data and returns the manager's reply. */
async function ask(connection: Connection, request: unknown): Promise<{ id: number; value?: unknown; error?: unknown }> {
  connection.send(request);
  return connection.recv();
}

test('a malformed request gets an error reply, or closes only that client; the manager serves on', async (t) => {
  await using manager = await Manager({ address: { host: '127.0.0.1', port: 0 }, authkey });
  const dict = await manager.dict();
  const client = await rawClient(t, manager.address);
  for (const [index, request] of [
    { id: 1, target: 'zero', method: 'ping', args: [] },
    { id: 2, target: 0, method: 'create', args: 'not an array' },
    { id: 3, target: 0, method: '', args: [] },
    { id: 4, target: 0, method: 'x'.repeat(10_000), args: [] },
    { id: 5, target: 0, method: 'create', args: [{ not: 'a typeid' }, []] },
    { id: 6, target: 0, method: 'create', args: ['dict', 'not an array'] },
    { id: 7, target: 0, method: 'create', args: ['__proto__', []] },
    { id: 8, target: 0, method: 'create', args: ['constructor', []] },
    { id: 9, target: 0, method: 'eval', args: ['process.exit()'] },
    { id: 10, target: 2 ** 40, method: 'get', args: [] },
  ].entries()) {
    const reply = await ask(client, request);
    assert.equal(reply.id, index + 1);
    assert.ok(reply.error instanceof Error, `request ${index + 1} got ${String(reply.value)}`);
  }
  const nested: unknown[] = [];
  let deepest = nested;
  for (let level = 0; level < 1000; level++) deepest = deepest[0] = [] as unknown[];
  const deep = await ask(client, { id: 11, target: 0, method: 'create', args: ['list', [nested]] });
  assert.equal((deep.error as { code?: string }).code, 'ERR_OUT_OF_RANGE');

  for (const message of ['hello', 42, null, [1, 2, 3], { target: 0, method: 'ping', args: [] }]) {
    const dropped = await rawClient(t, manager.address);
    dropped.send(message);
    await assert.rejects(dropped.recv(), EOFError);
  }
  await dict.set('still', 'served');
  assert.equal(await dict.get('still'), 'served');
  assert.deepEqual(await ask(client, { id: 12, target: 0, method: 'ping', args: [] }), { id: 12, value: 'pong' });
});

test('only the public methods of a managed object can be called: no __proto__, constructor, then, internals or getters of the implementation', async (t) => {
  await using manager = await Manager({ address: { host: '127.0.0.1', port: 0 }, authkey });
  const client = await rawClient(t, manager.address);
  let nextId = 1;
  const create = async (typeid: string, args: unknown[] = []) => (await ask(client, { id: nextId++, target: 0, method: 'create', args: [typeid, args] })).value as number;
  const targets = { list: await create('list', [[1, 2]]), queue: await create('Queue'), lock: await create('Lock'), rlock: await create('RLock'), pool: await create('Pool', [1]) };
  const refusedNames: [number, string][] = [
    ...['__proto__', 'constructor', 'then', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', '__lookupGetter__', 'items', 'indexOf', '_x'].map((name) => [targets.list, name] as [number, string]),
    [targets.queue, 'toRecord'],
    [targets.queue, 'received'],
    [targets.queue, 'close'],
    [targets.lock, 'sharedBlock'],
    [targets.lock, 'hold'],
    [targets.rlock, 'releaseAll'],
    [targets.pool, 'workerPids'],
    [targets.pool, 'processes'],
  ];
  for (const [target, method] of refusedNames) {
    const reply = await ask(client, { id: nextId++, target, method, args: [] });
    assert.ok(reply.error instanceof TypeError, `${method} was callable`);
  }
  const applied = await ask(client, { id: nextId++, target: targets.pool, method: 'applyAsync', args: [{ __multiprocTask: { kind: 'module', module: 'node:child_process', name: 'execSync' } }, ['true']] });
  assert.equal((applied.error as { code?: string }).code, 'ERR_INVALID_ARG_VALUE');
  assert.deepEqual(await ask(client, { id: nextId++, target: targets.list, method: 'toArray', args: [] }), { id: nextId - 1, value: [1, 2] });
  const missing = await ask(client, { id: nextId++, target: targets.list, method: 'append', args: [{ __multiprocProxy: { id: 999, typeid: 'list' } }] });
  assert.ok(missing.error instanceof KeyError);
  await ask(client, { id: nextId++, target: targets.pool, method: 'terminate', args: [] });
});

test('impossible sizes are refused with RangeError before anything is allocated', async () => {
  await using manager = await Manager({ maxMessageSize: 1024 * 1024 });
  const outOfRange = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' };
  await assert.rejects(manager.Array('d', 1e12), outOfRange);
  await assert.rejects(manager.Array('d', 200_000), outOfRange); // 1.6 MB > maxMessageSize
  assert.equal(await (await manager.Array('d', 100_000)).length(), 100_000);
  await assert.rejects(manager.Barrier(1e12), outOfRange);
  await assert.rejects(manager.Semaphore(2 ** 40), outOfRange);
  await assert.rejects(manager.Pool(1e6), outOfRange);
  await assert.rejects(manager.Queue(-1), outOfRange);
  await assert.rejects(manager.Array('z' as 'i', 3), { name: 'TypeError' });
  const dict = await manager.dict();
  await dict.set('alive', true);
  assert.equal(await dict.get('alive'), true);
});

test('BaseManager and Manager check handshakeTimeout and maxMessageSize', async () => {
  assert.throws(() => new BaseManager({ maxMessageSize: 0 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new BaseManager({ maxMessageSize: '1' as unknown as number }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => new BaseManager({ handshakeTimeout: -1 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(Manager({ maxMessageSize: 1.5 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
});
