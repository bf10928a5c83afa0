import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { Empty, Full, InvalidStateError, JoinableQueue, Pipe, Pool, Process, Queue, SimpleQueue } from 'multiproc';
import { encodeValue } from '../../dist/tasks/codec.js';
import { loadNative } from '../../src/native/loader.ts';
import { consume, getOne, keepQueue, produce, putBigAndEnd, putFromInitialized, putViaGrandchild, work } from '../fixtures/ipc-tasks.ts';
import { endAfter, forEachContext } from '../helpers/contexts.ts';

const skip = loadNative() ? false : 'the native addon is not built here';

function channelSegments(): string[] {
  return readdirSync('/dev/shm').filter((name) => name.startsWith('mpc-'));
}

test('put and get keep FIFO order; qsize, empty and full follow', { skip }, async () => {
  const queue = new Queue<number>(3);
  assert.equal(queue.empty(), true);
  await queue.put(1);
  queue.putNowait(2);
  await queue.put(3, { block: false });
  assert.deepEqual([queue.qsize(), queue.empty(), queue.full()], [3, false, true]);
  assert.throws(() => queue.putNowait(4), Full);
  await assert.rejects(queue.put(4, { timeout: 10 }), Full);
  await assert.rejects(queue.put(4, { block: false }), Full);
  assert.deepEqual([await queue.get(), queue.getNowait(), await queue.get({ timeout: 10 })], [1, 2, 3]);
  assert.throws(() => queue.getNowait(), Empty);
  await assert.rejects(queue.get({ timeout: 10 }), Empty);
  await assert.rejects(queue.get({ block: false }), Empty);
  queue.close();
});

test('a put waiting for room goes in when a get makes some', { skip }, async () => {
  const queue = new Queue<string>(1);
  await queue.put('first');
  const waiting = queue.put('second');
  assert.equal(await queue.get(), 'first');
  await waiting;
  assert.equal(await queue.get(), 'second');
  queue.close();
});

test('bad input: unsendable items name where they sit, a closed queue refuses, options are checked', { skip }, async () => {
  const queue = new Queue();
  await assert.rejects(queue.put({ handler: () => 1 }), { name: 'TypeError', message: /Queue\.put: obj\.handler: functions cannot be sent/ });
  assert.throws(() => queue.putNowait([Symbol('s')]), { name: 'TypeError', message: /Queue\.putNowait: obj\[0\]/ });
  await assert.rejects(queue.put(1, { block: 'no' as never }), { code: 'ERR_INVALID_ARG_TYPE', message: /"block"/ });
  await assert.rejects(queue.get({ timeout: -1 }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new Queue('big' as never), { code: 'ERR_INVALID_ARG_TYPE', message: /"maxsize"/ });
  await assert.rejects(queue.joinThread(), InvalidStateError);
  queue.close();
  await assert.rejects(queue.put(1), InvalidStateError);
  assert.throws(() => queue.putNowait(1), InvalidStateError);
  await assert.rejects(queue.get(), InvalidStateError);
  await queue.joinThread();
  queue.close(); // idempotent
});

test('JoinableQueue counts unfinished items; taskDone too often throws', { skip }, async () => {
  const queue = new JoinableQueue<number>();
  await queue.join(); // nothing put: at once
  await queue.put(1);
  await queue.put(2);
  let joined = false;
  const joining = queue.join().then(() => (joined = true));
  await queue.get();
  queue.taskDone();
  await queue.get();
  assert.equal(joined, false);
  queue.taskDone();
  await joining;
  assert.throws(() => queue.taskDone(), InvalidStateError);
  queue.close();
});

forEachContext((context) => {
  test('three producers and two consumers: every item arrives exactly once, in order per producer', { skip }, async (t) => {
    const queue = new Queue<[number, number] | null>();
    const results = new Queue<Array<[number, number]>>();
    const count = 2_000;
    const producers = [0, 1, 2].map((id) => endAfter(t, new Process({ target: produce, args: [queue, id, count], context })));
    const consumers = [0, 1].map(() => endAfter(t, new Process({ target: consume, args: [queue, results], context })));
    for (const child of [...producers, ...consumers]) child.start();
    for (const producer of producers) await producer.join();
    await queue.put(null);
    await queue.put(null);
    const lists = [await results.get(), await results.get()];
    for (const consumer of consumers) await consumer.join();
    const all = lists.flat();
    assert.equal(all.length, 3 * count);
    assert.equal(new Set(all.map(([id, index]) => id * count + index)).size, 3 * count);
    for (const list of lists) {
      for (const id of [0, 1, 2]) {
        const indexes = list.filter(([from]) => from === id).map(([, index]) => index);
        assert.deepEqual(indexes, [...indexes].sort((a, b) => a - b));
      }
    }
    queue.close();
    results.close();
  });

  test('a consumer killed while waiting does not take the next item', { skip }, async (t) => {
    const queue = new Queue<string>();
    const ready = new Queue<string>();
    const child = endAfter(t, new Process({ target: getOne, args: [queue, ready], context }));
    child.start();
    assert.equal(await ready.get(), 'waiting');
    child.kill();
    await child.join();
    await queue.put('kept');
    assert.equal(await queue.get({ timeout: 10_000 }), 'kept');
    queue.close();
    ready.close();
  });

  test('a child that put a big item and ended can be joined before the item is got', { skip }, async (t) => {
    const queue = new Queue<Uint8Array>();
    const child = endAfter(t, new Process({ target: putBigAndEnd, args: [queue, 8 * 1024 * 1024], context }));
    child.start();
    await child.join(); // CPython deadlocks here; nothing waits for a reader in multiproc
    assert.equal(child.exitCode, 0);
    const item = await queue.get();
    assert.equal(item.byteLength, 8 * 1024 * 1024);
    assert.equal(item[12345], 7);
    queue.close();
  });

  test('JoinableQueue: join waits for workers in children to mark every item done', { skip }, async (t) => {
    const queue = new JoinableQueue<number>();
    const seen = new Queue<number>();
    const workers = [0, 1].map(() => endAfter(t, new Process({ target: work, args: [queue, seen, 5], context })));
    for (const worker of workers) worker.start();
    for (let item = 1; item <= 10; item++) await queue.put(item);
    await queue.join();
    const got: number[] = [];
    for (let index = 0; index < 10; index++) got.push(seen.getNowait()); // all there: done only after seen
    assert.deepEqual(got.sort((a, b) => a - b), [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    for (const worker of workers) await worker.join();
    queue.close();
    seen.close();
  });

  test('a queue reaches a grandchild', { skip }, async (t) => {
    const queue = new Queue<[number, number] | null>();
    const child = endAfter(t, new Process({ target: putViaGrandchild, args: [queue], context }));
    child.start();
    assert.deepEqual([await queue.get(), await queue.get(), await queue.get()], [[7, 0], [7, 1], [7, 2]]);
    await child.join();
    assert.equal(child.exitCode, 0);
    queue.close();
  });

  test('a queue passed as a pool initArg is used by the tasks', { skip }, async () => {
    const queue = new Queue<number>();
    await using pool = new Pool({ processes: 2, context, initializer: keepQueue, initArgs: [queue] });
    await pool.map(putFromInitialized, [1, 2, 3, 4], { chunkSize: 1 });
    const got = [await queue.get(), await queue.get(), await queue.get(), await queue.get()];
    assert.deepEqual(got.sort(), [1, 2, 3, 4]);
    queue.close();
  });

  test('SimpleQueue carries binary data between processes without JSON', { skip }, async (t) => {
    const queue = new SimpleQueue<Uint8Array | null>();
    const results = new Queue<Array<[number, number]>>();
    const child = endAfter(t, new Process({ target: putBigAndEnd, args: [queue, 1024], context }));
    child.start();
    const item = (await queue.get()) as Uint8Array;
    assert.ok(item instanceof Uint8Array);
    assert.equal(item.byteLength, 1024);
    assert.equal(queue.empty(), true);
    await child.join();
    queue.close();
    results.close();
  });
});

/** A queue's channel name (its chunks are /dev/shm/<name>-<number>); the copy made to learn it is given back. */
function channelNameOf(queue: Queue<unknown>): string {
  const { data } = encodeValue(queue, 'queue', 'process').value as { data: { name: string; copy: unknown } };
  (queue as unknown as { received(copy: unknown): void }).received(data.copy);
  return data.name;
}

test('the memory of a queue every holder closed is freed', { skip }, async (t) => {
  const queue = new Queue<[number, number] | null>();
  // Only this queue's chunks are looked at: other programs may create queues meanwhile.
  const name = channelNameOf(queue);
  const child = endAfter(t, new Process({ target: produce, args: [queue, 0, 10] }));
  child.start();
  await child.join();
  assert.ok(channelSegments().some((segment) => segment.startsWith(`${name}-`)));
  for (let index = 0; index < 10; index++) assert.deepEqual(await queue.get(), [0, index]);
  queue.close();
  assert.deepEqual(channelSegments().filter((segment) => segment.startsWith(`${name}-`)), []);
});

test('without the native addon, Pipe and Queue say what they need', { skip: loadNative() ? 'the native addon is built here (see npm run test:without-addon)' : false }, () => {
  assert.throws(() => new Queue(), { code: 'ERR_MP_NATIVE_UNAVAILABLE', message: /Queue needs multiproc's native addon/ });
  assert.throws(() => Pipe(), { code: 'ERR_MP_NATIVE_UNAVAILABLE', message: /Pipe needs multiproc's native addon/ });
});
