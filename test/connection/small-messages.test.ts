// Small plain data travels as JSON text (message.ts, tasks/exact-json.ts); everything JSON would
// change goes through v8 as before. Either way, what arrives is exactly what a structured clone
// of the value is: the same keys in the same order, the same prototypes, -0, holes, shared
// references, lone surrogates.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import { type Connection, EOFError, InvalidStateError, Pipe, Process, Queue } from 'multiproc';
import { transportOf } from '../../dist/connection/connection.js';
import { decodeMessage, encodeMessage, RecordKind } from '../../dist/connection/message.js';
import { loadNative } from '../../src/native/loader.ts';
import { echoUntilNull } from '../fixtures/ipc-tasks.ts';
import { endAfter, forEachContext } from '../helpers/contexts.ts';

const skip = loadNative() ? false : 'the native addon is not built here';
const HANDLE_TAG = '\u0000multiproc.handle';

/** Fails unless `actual` is `expected` to the last key: prototypes, key order, -0, holes. */
function assertSame(actual: unknown, expected: unknown, path = 'value'): void {
  if (typeof expected !== 'object' || expected === null) {
    assert.ok(Object.is(actual, expected), `${path}: ${String(actual)} is not ${String(expected)}`);
    return;
  }
  assert.equal(typeof actual, 'object', path);
  assert.equal(Object.getPrototypeOf(actual), Object.getPrototypeOf(expected), `${path}: prototype`);
  assert.deepEqual(Reflect.ownKeys(actual as object), Reflect.ownKeys(expected), `${path}: keys`);
  for (const key of Object.keys(expected)) {
    assertSame((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${path}.${key}`);
  }
  assert.deepStrictEqual(actual, expected, path);
}

/** What v8 makes of `value`: the reference every record kind must match. */
const structuredClone = (value: unknown): unknown => deserialize(serialize(value));

function withPipe(t: { after(fn: () => unknown): void }): [Connection, Connection] {
  const ends = Pipe();
  t.after(() => {
    for (const end of ends) end.close();
  });
  return ends;
}

// biome-ignore lint/suspicious/noSparseArray: the hole is the point
const holey = [1, , 3];
const nullPrototype = Object.assign(Object.create(null) as object, { a: 1 });
const protoKey = JSON.parse('{"__proto__": {"polluted": true}, "b": 2}') as object;

/** Small plain data: these take the JSON record. */
const plain: [string, unknown][] = [
  ['the W5 object', { i: 7, s: 'x' }],
  ['nested objects and arrays', { list: [1, 'two', [true, false, null]], inner: { deeper: { n: -1.5e-300 } } }],
  ['an empty object and an empty array', [{}, []]],
  ['integer-like keys, which come first', { b: 1, 2: 'two', a: 3, 1: 'one' }],
  ['a null-prototype object (it arrives with Object.prototype, as from v8)', nullPrototype],
  ['an own "__proto__" key (it stays an own key)', protoKey],
  ['strings with every kind of character', { s: 'é \u0000 \n "quoted" \\ 😀 \u2028', lone: '\ud800 and \udfff alone' }],
  ['large and tiny numbers', [Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 2, -0.1, 1e21, 0]],
  ['a string key of every character', { '': 1, 'a b': 2, '\ud83d': 3 }],
  ['toJSON keys holding data (JSON.stringify calls only a function)', { toJSON: 'not a function', nested: { toJSON: 1 } }],
  ['2,048 string code units and fields, the most JSON takes', { s: 'y'.repeat(2048 - 2) }],
  ['an array of 256 items, the longest JSON takes', Array.from({ length: 256 }, (_, index) => index)],
];

/** Values JSON would change or cannot carry: these take v8's record, as before. */
const cloned: [string, unknown][] = [
  ['undefined as a property', { a: undefined }],
  ['undefined in an array', [undefined]],
  ['NaN', { n: Number.NaN }],
  ['Infinity', [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]],
  ['-0', { zero: -0 }],
  ['a hole in an array', holey],
  ['an array with an extra key', Object.assign([1, 2], { extra: 'kept' })],
  ['a Date', { when: new Date(5) }],
  ['a Map and a Set', { map: new Map([[1, 'one']]), set: new Set(['a']) }],
  ['a bigint', { big: 12n }],
  ['a typed array', { bytes: new Uint8Array([1, 2]) }],
  ['more than 2,048 string code units and fields', { s: 'y'.repeat(2048 - 1) }],
  ['an array of 257 items', Array.from({ length: 257 }, (_, index) => index)],
  ['nesting deeper than 32 levels', JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`)],
  ['a boxed string', { s: new String('boxed') }],
];

test('small plain data takes the JSON record and arrives exactly as a structured clone of it', { skip }, async (t) => {
  const [a, b] = withPipe(t);
  for (const [what, value] of plain) {
    assert.equal(encodeMessage(value, 'value').kind, RecordKind.Json, what);
    a.send(value);
    assertSame(await b.recv(), structuredClone(value), what);
  }
  a.send(protoKey);
  const received = (await b.recv()) as Record<string, unknown>;
  assert.ok(Object.hasOwn(received, '__proto__'));
  assert.equal(Object.getPrototypeOf(received), Object.prototype, 'an own "__proto__" key does not set the prototype');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('values JSON would change go through v8 and arrive exactly as a structured clone of them', { skip }, async (t) => {
  const [a, b] = withPipe(t);
  for (const [what, value] of cloned) {
    assert.equal(encodeMessage(value, 'value').kind, RecordKind.Value, what);
    a.send(value);
    assertSame(await b.recv(), structuredClone(value), what);
  }
});

test('shared references and cycles keep their identity (v8 record)', { skip }, async (t) => {
  const [a, b] = withPipe(t);
  const shared = { n: 1 };
  const cycle: Record<string, unknown> = { name: 'loop' };
  cycle.self = cycle;
  for (const value of [{ left: shared, right: shared }, [shared, shared], cycle]) assert.equal(encodeMessage(value, 'value').kind, RecordKind.Value);

  a.send({ left: shared, right: shared });
  const pair = (await b.recv()) as { left: object; right: object };
  assert.equal(pair.left, pair.right);
  a.send([shared, shared]);
  const list = (await b.recv()) as object[];
  assert.equal(list[0], list[1]);
  a.send(cycle);
  const loop = (await b.recv()) as Record<string, unknown>;
  assert.equal(loop.self, loop);
});

test('getters are read as v8 reads them, and a class instance or a proxy is refused as before', { skip }, async (t) => {
  const [a, b] = withPipe(t);
  const withGetter = { get computed() { return 'value'; }, plain: 1 };
  a.send(withGetter);
  assertSame(await b.recv(), structuredClone(withGetter));

  class Point {
    constructor(readonly x: number) {}
  }
  assert.throws(() => a.send({ at: new Point(1) }), { name: 'TypeError', message: /Connection\.send: obj\.at: an instance of class Point cannot be sent/ });
  assert.throws(() => serialize(new Proxy({}, {})), 'v8 refuses a proxy');
  assert.throws(() => a.send(new Proxy({ a: 1 }, {})), /could not be cloned/);
  assert.throws(() => a.send({ inner: new Proxy([1], {}) }), /could not be cloned/);
  a.send('still open');
  assert.equal(await b.recv(), 'still open');
});

test('a handle key in small plain data is still refused, naming where it sits', { skip }, async (t) => {
  const [a, b] = withPipe(t);
  assert.throws(() => a.send({ list: [{ [HANDLE_TAG]: 'lock', data: {} }] }), { code: 'ERR_INVALID_ARG_VALUE', message: /Connection\.send: obj\.list\[0\]: an object with the key/ });
  a.send({ fine: true });
  assert.deepEqual(await b.recv(), { fine: true });
});

test('a string with a lone surrogate arrives unchanged', { skip }, async (t) => {
  const [a, b] = withPipe(t);
  for (const value of ['\ud800', 'a\udc00b', '\ud83d\ude00 paired']) {
    a.send(value);
    assert.equal(await b.recv(), value);
  }
});

test('a socket keeps writing v8 records, which every multiproc reads, and reads JSON records from a peer as plain data', () => {
  assert.equal(encodeMessage({ i: 1, s: 'x' }, 'value', 'peer').kind, RecordKind.Value);
  assert.deepEqual(decodeMessage(RecordKind.Json, Buffer.from('{"i":1,"s":"x"}'), 'Connection.recv', 'peer'), { i: 1, s: 'x' });
  const forged = Buffer.from(JSON.stringify({ list: [{ [HANDLE_TAG]: 'lock', data: {} }] }));
  assert.throws(() => decodeMessage(RecordKind.Json, forged, 'Connection.recv', 'peer'), {
    code: 'ERR_INVALID_ARG_VALUE',
    message: /^Connection\.recv: message\.list\[0\]: a handle record \("lock"\) arrived from a peer outside this process tree and was refused/,
  });
  // Within the tree a record is data, as v8's are: nothing is rebuilt from it.
  assert.deepEqual(decodeMessage(RecordKind.Json, forged, 'Connection.recv', 'tree'), JSON.parse(forged.toString()));
});

test('a malformed JSON record is reported on that connection and the next message still arrives', { skip }, async (t) => {
  const [a, b] = withPipe(t);
  transportOf(a).write(RecordKind.Json, [Buffer.from('{"unterminated": ')]);
  await assert.rejects(b.recv(), (error: unknown) => error instanceof InvalidStateError && /malformed message/.test(error.message));
  a.send({ i: 1, s: 'x' });
  assert.deepEqual(await b.recv(), { i: 1, s: 'x' });
});

test('a queue carries small plain data and v8 values alike', { skip }, async (t) => {
  const queue = new Queue();
  t.after(() => queue.close());
  const values = [{ i: 1, s: 'x' }, { zero: -0, when: new Date(3) }, [1, { two: [2] }]];
  for (const value of values) await queue.put(value);
  for (const value of values) assertSame(await queue.get(), structuredClone(value));
});

forEachContext((context) => {
  test('a child echoes small plain data and v8 values through a pipe exactly', { skip }, async (t) => {
    const [parentEnd, childEnd] = Pipe();
    t.after(() => parentEnd.close());
    const child = endAfter(t, new Process({ target: echoUntilNull, args: [childEnd], context }));
    child.start();
    childEnd.close();
    for (const [what, value] of [...plain, ...cloned]) {
      parentEnd.send(value);
      assertSame(await parentEnd.recv(), structuredClone(value), what);
    }
    parentEnd.send(null);
    await child.join();
    assert.equal(child.exitCode, 0);
  });
});

test('a wait shorter than the kernel wait ends at its timeout, and a message sent later still wakes the reader', { skip }, async (t) => {
  const [a, b] = withPipe(t);
  assert.equal(await b.poll(0.05), false); // within the short wait in the kernel
  assert.equal(await b.poll(1), false); // past it: the reader parked
  const later = b.recv();
  setTimeout(() => a.send({ i: 1, s: 'late' }), 5);
  assert.deepEqual(await later, { i: 1, s: 'late' });
});

forEachContext((context) => {
  test('a reader waiting in the kernel is woken by the other end closing: EOFError', { skip }, async (t) => {
    const [parentEnd, childEnd] = Pipe();
    t.after(() => parentEnd.close());
    const child = endAfter(t, new Process({ target: echoUntilNull, args: [childEnd], context }));
    child.start();
    childEnd.close();
    for (let turn = 0; turn < 200; turn++) {
      parentEnd.send({ turn });
      assert.deepEqual(await parentEnd.recv(), { turn });
    }
    parentEnd.send(null); // the child closes its end and exits
    await assert.rejects(parentEnd.recv(), EOFError);
    await child.join();
  });
});
