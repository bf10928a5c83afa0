import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool, RemoteError, taskRef } from 'multiproc';
import { echo, fail, failOn, failWithCode, returnFunction, square } from '../fixtures/tasks.ts';
import { forEachContext, sharedPool } from '../helpers/contexts.ts';

const echoAny = echo as (...args: unknown[]) => unknown;

interface Mixed {
  when: Date;
  error: Error;
  bytes: Uint8Array;
  big: bigint;
  map: Map<number, string>;
}

forEachContext((context) => {
  const shared = sharedPool(context);

  test('an error thrown in a task is re-thrown with its class and message, the child stack as cause', async () => {
    const error = await shared().apply(fail, ['out of bounds']).catch((caught: unknown) => caught as Error);
    assert.ok(error instanceof RangeError);
    assert.equal(error.message, 'out of bounds');
    assert.ok(error.cause instanceof RemoteError);
    assert.match((error.cause as Error).message, /RangeError: out of bounds[\s\S]*at fail/);
  });

  test("a thrown error keeps its name and code even when its class is not a standard one", async () => {
    const error = await shared().apply(failWithCode, ['custom']).catch((caught: unknown) => caught as Error & { code?: string });
    assert.equal(error.name, 'Error');
    assert.equal(error.code, 'E_CUSTOM');
  });

  test('map fails with the error of the item that failed', async () => {
    await assert.rejects(shared().starmap(failOn, [[1, 3], [2, 3], [3, 3]], { chunkSize: 1 }), { name: 'TypeError', message: 'bad item 3' });
    assert.deepEqual(await shared().map(square, [2]), [4]); // the pool keeps serving
  });

  test('errors and other values inside results come back as data', async () => {
    const value = (await shared().apply(echo, [{ when: new Date(0), error: new TypeError('inside'), bytes: new Uint8Array([1, 2]), big: 2n ** 70n, map: new Map([[1, 'one']]) }])) as Mixed;
    assert.ok(value.when instanceof Date);
    assert.ok(value.error instanceof TypeError);
    assert.equal(value.error.message, 'inside');
    assert.deepEqual([...value.bytes], [1, 2]);
    assert.equal(value.big, 2n ** 70n);
    assert.equal(value.map.get(1), 'one');
  });

  test('an inline function using an outside variable fails with a ReferenceError that explains why', async () => {
    const factor = 3;
    await assert.rejects(shared().map((x: number) => x * factor, [1]), (error: Error) => {
      assert.equal(error.name, 'ReferenceError');
      assert.match(error.message, /factor is not defined/);
      assert.match(error.message, /register\(import\.meta\.url/);
      return true;
    });
  });

  test('a taskRef names a module export', async () => {
    const ref = taskRef<typeof import('../fixtures/tasks.ts'), 'square'>(new URL('../fixtures/tasks.ts', import.meta.url), 'square');
    assert.deepEqual(await shared().map(ref, [4, 5]), [16, 25]);
  });

  test('a taskRef to a missing export fails with a TypeError naming it', async () => {
    const ref = taskRef(new URL('../fixtures/tasks.ts', import.meta.url), 'noSuchTask');
    await assert.rejects(shared().apply(ref), { name: 'TypeError', message: /noSuchTask/ });
  });

  test('an argument that cannot be sent fails at the call, naming where it sits', async () => {
    await assert.rejects(shared().apply(echoAny, [1, { callback: () => 1 }]), {
      name: 'TypeError',
      message: /args\[1\]\.callback: functions cannot be sent/,
    });
    class Point {
      x = 1;
    }
    await assert.rejects(shared().map(echoAny, [1, new Point()]), { name: 'TypeError', message: /iterable\[1\]: an instance of class Point/ });
    assert.throws(() => shared().applyAsync(echoAny, [Symbol('s')]), { name: 'TypeError', message: /args\[0\]: symbols/ });
  });

  test('a result that cannot be sent fails that task with a TypeError', async () => {
    await assert.rejects(shared().apply(returnFunction), { name: 'TypeError', message: /result: functions cannot be sent/ });
  });

  test('bad arguments to task methods are refused with errors naming them', async () => {
    await assert.rejects(shared().map(42 as never, [1]), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"fn"/ });
    await assert.rejects(shared().map(square, 5 as never), { name: 'TypeError', message: /"iterable"/ });
    await assert.rejects(shared().map(square, [1], { chunkSize: 0 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"chunkSize" must be an integer >= 1, received number 0/ });
    assert.throws(() => shared().imap(square, [1], { bufferSize: -1 }), RangeError);
    assert.throws(() => shared().applyAsync(Math.max as never, []), { name: 'TypeError', message: /native|source/ });
    await assert.rejects(shared().apply(square, 3 as never), { name: 'TypeError', message: /"args"/ });
    await assert.rejects(shared().starmap(add2 as never, [5] as never), { name: 'TypeError', message: /iterable\[0\] must be an array of arguments/ });
  });
});

function add2(a: number, b: number): number {
  return a + b;
}

test('a pool size that is not a positive integer is refused', () => {
  assert.throws(() => new Pool(0), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"processes" must be an integer >= 1, received number 0\. Omit it/ });
  assert.throws(() => new Pool(-1), RangeError);
  assert.throws(() => new Pool(1.5), RangeError);
  assert.throws(() => new Pool({ processes: '2' as never }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => new Pool({ context: 'fork' as never }), { name: 'TypeError', message: /"context" must be one of "process", "thread", "spawn", "forkserver"/ });
  assert.throws(() => new Pool({ processes: 1, maxTasksPerChild: 0 }), RangeError);
});
