import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Event, Pool } from 'multiproc';
import { slowSquare, square, waitForGate } from '../fixtures/tasks.ts';
import { forEachContext, sharedPool } from '../helpers/contexts.ts';

forEachContext((context) => {
  const shared = sharedPool(context);

  test('imap streams results in input order', async () => {
    const results: number[] = [];
    for await (const value of shared().imap(slowSquare, [5, 4, 3, 2, 1])) results.push(value);
    assert.deepEqual(results, [25, 16, 9, 4, 1]);
  });

  test('imap with chunkSize keeps the order of items within and across chunks', async () => {
    const items = Array.from({ length: 50 }, (_, index) => index);
    const results: number[] = [];
    for await (const value of shared().imap(square, items, { chunkSize: 7 })) results.push(value);
    assert.deepEqual(results, items.map((x) => x * x));
  });

  test('imapUnordered yields every result once', async () => {
    const results: number[] = [];
    for await (const value of shared().imapUnordered(square, [1, 2, 3, 4, 5, 6])) results.push(value);
    assert.deepEqual(results.sort((a, b) => a - b), [1, 4, 9, 16, 25, 36]);
  });

  test('an unbounded generator is read lazily, with at most bufferSize tasks ahead, and stops on break', async () => {
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    let isClosed = false;
    function* naturals() {
      try {
        for (;;) {
          maxAhead = Math.max(maxAhead, produced - consumed);
          yield produced++;
        }
      } finally {
        isClosed = true;
      }
    }
    for await (const value of shared().imap(square, naturals(), { bufferSize: 8 })) {
      assert.equal(value, consumed * consumed);
      if (++consumed === 1000) break;
    }
    assert.equal(isClosed, true);
    assert.ok(maxAhead <= 8 + 1, `read ${maxAhead} items ahead of the consumer`);
    assert.deepEqual(await shared().map(square, [3]), [9]); // the pool keeps serving
  });

  test('an async generator works as imap input', async () => {
    async function* numbers() {
      for (let x = 0; x < 20; x++) yield x;
    }
    const results: number[] = [];
    for await (const value of shared().imapUnordered(square, numbers(), { chunkSize: 3 })) results.push(value);
    assert.equal(results.length, 20);
  });

  test('a failing task surfaces at its position, after the results before it', async () => {
    const results: number[] = [];
    await assert.rejects(async () => {
      for await (const value of shared().imap((x: number) => { if (x === 3) throw new RangeError('three'); return x; }, [1, 2, 3, 4])) results.push(value);
    }, { name: 'RangeError', message: 'three' });
    assert.deepEqual(results, [1, 2]);
  });

  test('an error thrown by the input iterable surfaces after the results before it', async () => {
    function* broken() {
      yield 1;
      yield 2;
      throw new Error('input broke');
    }
    const results: number[] = [];
    await assert.rejects(async () => {
      for await (const value of shared().imap(square, broken())) results.push(value);
    }, { message: 'input broke' });
    assert.deepEqual(results, [1, 4]);
  });
});

test("next(timeout) rejects with TimeoutError while no result is ready, and the iteration goes on (Python's IMapIterator.next)", async () => {
  await using pool = new Pool({ processes: 1, context: 'thread' });
  const gate = new Event();
  const results = pool.imap(waitForGate, [gate, gate]);
  await assert.rejects(results.next(10), { name: 'TimeoutError' });
  gate.set();
  assert.deepEqual(await results.next(30_000), { value: 'opened', done: false });
  assert.deepEqual(await results.next(), { value: 'opened', done: false });
  assert.equal((await results.next()).done, true);
});
