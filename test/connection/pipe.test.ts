import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferTooShort, EOFError, InvalidStateError, Pipe, Pool, Process, Queue, wait } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';
import {
  echoUntilNull,
  measureMessage,
  readyThenWait,
  keepEnd,
  sendAll,
  sendFromInitialized,
  sendFromTask,
  sendPipeEnd,
  sendViaGrandchild,
} from '../fixtures/ipc-tasks.ts';
import { endAfter, forEachContext } from '../helpers/contexts.ts';
import { transportOf } from '../../dist/connection/connection.js';

const skip = loadNative() ? false : 'the native addon is not built here';

test('an in-process pipe keeps order and types', { skip }, async () => {
  const [a, b] = Pipe();
  const values = [1, 'two', { three: [3n] }, new Map([[4, 'four']]), new Date(5), Buffer.from('six'), new Float64Array([7.5]), null];
  for (const value of values) a.send(value);
  for (const value of values) assert.deepEqual(await b.recv(), value);
  b.send('back');
  assert.equal(await a.recv(), 'back');
  a.close();
  b.close();
});

test('a one-way pipe receives on its first end and sends from its second', { skip }, async () => {
  const [reader, writer] = Pipe(false);
  assert.deepEqual([reader.readable, reader.writable, writer.readable, writer.writable], [true, false, false, true]);
  assert.throws(() => reader.send(1), InvalidStateError);
  await assert.rejects(writer.recv(), InvalidStateError);
  writer.send('one way');
  assert.equal(await reader.recv(), 'one way');
  reader.close();
  writer.close();
});

test('bad input: unsendable values name where they sit, a closed end throws, bad arguments are named', { skip }, async () => {
  const [a, b] = Pipe();
  assert.throws(() => a.send({ list: [1, { callback: () => 1 }] }), { name: 'TypeError', message: /Connection\.send: obj\.list\[1\]\.callback: functions cannot be sent/ });
  assert.throws(() => a.sendBytes('text' as never), { code: 'ERR_INVALID_ARG_TYPE', message: /"buf"/ });
  assert.throws(() => a.sendBytes(Buffer.alloc(4), 2, 3), { code: 'ERR_OUT_OF_RANGE', message: /"size"/ });
  assert.throws(() => Pipe('yes' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  a.close();
  assert.equal(a.closed, true);
  assert.throws(() => a.send(1), InvalidStateError);
  await assert.rejects(a.recv(), InvalidStateError);
  a.close(); // idempotent
  await assert.rejects(b.recv(), EOFError);
  b.close();
});

test('sendBytes, recvBytes, recvBytesInto and BufferTooShort', { skip }, async () => {
  const [a, b] = Pipe();
  a.sendBytes(Buffer.from('hello world'), 6);
  assert.equal(Buffer.from(await b.recvBytes()).toString(), 'world');
  a.sendBytes(new Uint16Array([1, 2, 3]));
  const into = new Uint8Array(10);
  assert.equal(await b.recvBytesInto(into, 2), 6);
  assert.deepEqual([...into.subarray(2, 8)], [1, 0, 2, 0, 3, 0]);
  a.sendBytes(Buffer.from('too long for it'));
  const error = await b.recvBytesInto(new Uint8Array(4)).catch((caught: unknown) => caught);
  assert.ok(error instanceof BufferTooShort);
  assert.equal(Buffer.from((error as BufferTooShort & { data: Uint8Array }).data).toString(), 'too long for it');
  a.sendBytes(Buffer.from('12345'));
  await assert.rejects(b.recvBytes(3), { code: 'ERR_OUT_OF_RANGE' });
  a.close();
  b.close();
});

test('poll waits up to its timeout and sees messages and EOF', { skip }, async () => {
  const [a, b] = Pipe();
  assert.equal(await b.poll(), false);
  assert.equal(await b.poll(20), false);
  a.send('x');
  assert.equal(await b.poll(), true);
  assert.equal(await b.recv(), 'x');
  a.close();
  assert.equal(await b.poll(null), true); // EOF: recv would not wait
  await assert.rejects(b.recv(), EOFError);
  b.close();
});

test('a malformed message is reported on that connection and the next one still arrives', { skip }, async () => {
  const [a, b] = Pipe();
  transportOf(a).write(0, [Uint8Array.of(0xff, 0x0f, 0x99)]); // not a structured clone
  await assert.rejects(b.recv(), { name: 'InvalidStateError', message: /malformed message/ });
  a.send('fine');
  assert.equal(await b.recv(), 'fine');
  a.close();
  b.close();
});

forEachContext((context) => {
  test('a child echoes values through a pipe, then its end closes: EOFError', { skip }, async (t) => {
    const [parentEnd, childEnd] = Pipe();
    const child = endAfter(t, new Process({ target: echoUntilNull, args: [childEnd], context }));
    child.start();
    childEnd.close(); // as Python programs do; the child's copy stays open
    const values = [42, { nested: [new Uint8Array([1, 2])] }, 'text'];
    for (const value of values) {
      parentEnd.send(value);
      assert.deepEqual(await parentEnd.recv(), value);
    }
    parentEnd.send(null);
    await assert.rejects(parentEnd.recv(), EOFError);
    await child.join();
    assert.equal(child.exitCode, 0);
    parentEnd.close();
  });

  test('messages a child sent before ending are all received, then EOFError (the parent kept its copy)', { skip }, async (t) => {
    const [parentEnd, childEnd] = Pipe();
    const child = endAfter(t, new Process({ target: sendAll, args: [childEnd, [1, 2, 3]], context }));
    child.start();
    await child.join();
    assert.deepEqual([await parentEnd.recv(), await parentEnd.recv(), await parentEnd.recv()], [1, 2, 3]);
    await assert.rejects(parentEnd.recv(), EOFError);
    parentEnd.close();
    childEnd.close();
  });

  test('recv rejects with EOFError when the child holding the other end is killed', { skip }, async (t) => {
    const [parentEnd, childEnd] = Pipe();
    const child = endAfter(t, new Process({ target: readyThenWait, args: [childEnd], context }));
    child.start();
    assert.equal(await parentEnd.recv(), 'ready');
    const pending = parentEnd.recv();
    child.kill();
    await assert.rejects(pending, EOFError);
    await child.join();
    assert.equal(child.exitCode, -9);
    parentEnd.close();
    childEnd.close();
  });

  test('connections travel as task arguments and to grandchildren', { skip }, async (t) => {
    const [parentEnd, childEnd] = Pipe();
    await using pool = new Pool({ processes: 2, context });
    await pool.apply(sendFromTask, [childEnd, 'from a task']);
    assert.equal(await parentEnd.recv(), 'from a task');
    const child = endAfter(t, new Process({ target: sendViaGrandchild, args: [childEnd, 'from a grandchild'], context }));
    child.start();
    assert.equal(await parentEnd.recv(), 'from a grandchild');
    await child.join();
    parentEnd.close();
    childEnd.close();
  });

  test('a pipe end passed as a pool initArg is used by the tasks', { skip }, async () => {
    const [parentEnd, childEnd] = Pipe();
    await using pool = new Pool({ processes: 2, context, initializer: keepEnd, initArgs: [childEnd] });
    await pool.map(sendFromInitialized, [1, 2, 3], { chunkSize: 1 });
    const got = [await parentEnd.recv(), await parentEnd.recv(), await parentEnd.recv()];
    assert.deepEqual(got.sort(), [1, 2, 3]);
    parentEnd.close();
    childEnd.close();
  });

  test('a pipe end made in a child crosses a queue to the parent', { skip }, async (t) => {
    const queue = new Queue<ReturnType<typeof Pipe>[0]>();
    const child = endAfter(t, new Process({ target: sendPipeEnd, args: [queue], context }));
    child.start();
    const end = await queue.get();
    assert.equal(await end.recv(), 'through a pipe end that crossed a queue');
    end.send('goodbye');
    await child.join();
    assert.equal(child.exitCode, 0);
    end.close();
    queue.close();
  });

  test('wait returns the ready connections and ended processes', { skip }, async (t) => {
    const [a1, b1] = Pipe();
    const [a2, b2] = Pipe();
    const child = endAfter(t, new Process({ target: sendAll, args: [b2, ['second']], context }));
    assert.deepEqual(await wait([a1, a2], 10), []);
    child.start();
    b2.close();
    const ready = await wait([a1, a2]);
    assert.deepEqual(ready, [a2]);
    assert.equal(await a2.recv(), 'second');
    await child.join();
    assert.deepEqual(await wait([a1, child]), [child]);
    b1.send('first');
    assert.deepEqual(await wait([a1, a2, child], 0), [a1, a2, child]); // a2: its other end is gone (EOF)
    for (const end of [a1, b1, a2]) end.close();
  });
});

test('wait rejects what it cannot wait on', async () => {
  await assert.rejects(wait([{}] as never), { code: 'ERR_INVALID_ARG_TYPE', message: /objects\[0\]/ });
  assert.deepEqual(await wait([]), []);
});

test('a 256 MB message arrives whole in a child process', { skip }, async (t) => {
  const [parentEnd, childEnd] = Pipe();
  const child = endAfter(t, new Process({ target: measureMessage, args: [childEnd] }));
  child.start();
  const big = Buffer.alloc(256 * 1024 * 1024, 1);
  big[0] = 2;
  big[big.length >> 1] = 3;
  big[big.length - 1] = 4;
  parentEnd.send(big);
  assert.deepEqual(await parentEnd.recv(), { length: big.length, first: 2, middle: 3, last: 4 });
  await child.join();
  parentEnd.close();
  childEnd.close();
});
