import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidStateError, Lock, Pool, Process, RawArray, RawValue, SharedArray, Value } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';
import { doubleArray, incrementValue } from '../fixtures/tasks.ts';
import { endAfter, forEachContext } from '../helpers/contexts.ts';

const skip = loadNative() ? false : 'the native addon is not built here';

forEachContext((context) => {
  test('four workers incrementing a Value under its lock end at the exact total', { skip }, async () => {
    const counter = new Value('i', 0);
    await using pool = new Pool({ processes: 4, context });
    await pool.starmap(incrementValue, Array.from({ length: 4 }, () => [counter, 250] as [Value<'i'>, number]), { chunkSize: 1 });
    assert.equal(counter.value, 1000);
  });

  test('a child writes a SharedArray in place and this side sees it', { skip }, async (t) => {
    const array = new SharedArray('d', [1.5, 2, -3]);
    const child = endAfter(t, new Process({ target: doubleArray, args: [array], context }));
    child.start();
    await child.join();
    assert.deepEqual(array.toArray(), [3, 4, -6]);
  });
});

test('every typecode stores and reads back its kind of value', () => {
  const samples: [string, unknown][] = [
    ['b', -128], ['B', 255], ['h', -32768], ['H', 65535], ['i', -(2 ** 31)], ['I', 2 ** 32 - 1],
    ['l', -(2n ** 63n)], ['L', 2n ** 64n - 1n], ['q', 42n], ['Q', 7n], ['f', 1.5], ['d', Math.PI], ['c', 'x'],
  ];
  for (const [typecode, sample] of samples) {
    const value = new Value(typecode as 'i', sample as number);
    assert.equal(value.value, sample, `typecode ${typecode}`);
  }
  assert.equal(new Value('q', 5 as never).value, 5n); // a safe integer is accepted where a bigint is stored
});

test('values outside a typecode or of the wrong type are refused; unknown typecodes are TypeErrors', () => {
  assert.throws(() => new Value('B', 256), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new Value('i', 1.5), RangeError);
  assert.throws(() => new Value('q', 'x' as never), TypeError);
  assert.throws(() => new Value('c', 'ab'), TypeError);
  assert.throws(() => new Value('z' as never, 0 as never), { name: 'TypeError', message: /"typecode" must be one of the typecodes b B h H i I l L q Q f d c/ });
  const value = new Value('i', 1);
  assert.throws(() => {
    value.value = 'one' as never;
  }, TypeError);
});

test('SharedArray: indexes, negative at(), slice, set, view, bounds', () => {
  const array = new SharedArray('i', 5);
  array[0] = 7;
  array.set([1, 2], 3);
  assert.deepEqual(array.toArray(), [7, 0, 0, 1, 2]);
  assert.equal(array.at(-1), 2);
  assert.deepEqual(array.slice(1, 4), [0, 0, 1]);
  assert.equal(array.length, 5);
  assert.ok(array.view instanceof Int32Array);
  array.view[1] = 9;
  assert.equal(array[1], 9);
  assert.throws(() => array[5], RangeError);
  assert.throws(() => array.set([1, 2, 3], 4), RangeError);
  assert.equal(1 in array, true);
  assert.equal(5 in array, false);
});

test("a 'c' SharedArray has a string value, as Python's char arrays do", () => {
  const text = new SharedArray('c', 8);
  text.value = 'hello';
  assert.equal(text.value, 'hello');
  assert.equal(text[1], 'e');
  assert.throws(() => {
    text.value = 'much too long';
  }, RangeError);
  assert.throws(() => new SharedArray('i', 2).value, InvalidStateError);
});

test('locks: the default is an RLock, a given lock is used, raw objects have none', async () => {
  const lock = new Lock();
  const guarded = new Value('d', 0, { lock });
  assert.equal(guarded.getLock(), lock);
  assert.equal(new Value('i', 0).getLock().constructor.name, 'RLock');
  assert.throws(() => new RawValue('i', 0).getLock(), InvalidStateError);
  assert.throws(() => new RawArray('i', 2).getLock(), InvalidStateError);
  assert.throws(() => new SharedArray('i', 2, { lock: false }).getLock(), InvalidStateError);
  assert.throws(() => new Value('i', 0, { lock: 'yes' as never }), TypeError);
  await using _held = await guarded.getLock().hold();
  guarded.value += 1.5;
  assert.equal(guarded.value, 1.5);
});
