import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ALL_COMPLETED,
  asCompleted,
  BrokenExecutor,
  BrokenProcessPool,
  BrokenThreadPool,
  CancelledError,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  futures,
  InvalidStateError,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
  TimeoutError,
} from 'multiproc';
import * as subpath from 'multiproc/futures';
import { dieAbruptly, echoPid, failWith, isPrime, power, sleepThen } from '../fixtures/futures-tasks.ts';
import { initialize, readInitialized } from '../fixtures/tasks.ts';

const executors = [
  { name: 'ProcessPoolExecutor', make: (maxWorkers: number) => new ProcessPoolExecutor({ maxWorkers }), broken: BrokenProcessPool },
  { name: 'ThreadPoolExecutor', make: (maxWorkers: number) => new ThreadPoolExecutor({ maxWorkers }), broken: BrokenThreadPool },
] as const;

describe('Future', () => {
  test('pending, running, finished: every state transition and its checks', async () => {
    const future = new Future<number>();
    assert.deepEqual([future.running(), future.done(), future.cancelled()], [false, false, false]);
    await assert.rejects(future.result(5), TimeoutError);
    assert.equal(future.setRunningOrNotifyCancel(), true);
    assert.deepEqual([future.running(), future.cancel()], [true, false]); // a running call cannot be cancelled
    future.setResult(7);
    assert.deepEqual([future.running(), future.done(), await future.result(), await future.exception()], [false, true, 7, null]);
    assert.throws(() => future.setResult(8), InvalidStateError);
    assert.equal(future.cancel(), false);
  });

  test('a failed call: result rejects with its error, exception returns it', async () => {
    const future = new Future();
    future.setRunningOrNotifyCancel();
    future.setException(new RangeError('no'));
    await assert.rejects(future.result(), { name: 'RangeError', message: 'no' });
    assert.equal((await future.exception())?.message, 'no');
  });

  test('cancelling a pending future: cancelled, done, CancelledError, and it will not start', async () => {
    const future = new Future();
    assert.equal(future.cancel(), true);
    assert.equal(future.cancel(), true);
    assert.deepEqual([future.cancelled(), future.done()], [true, true]);
    await assert.rejects(future.result(), CancelledError);
    await assert.rejects(future.exception(), CancelledError);
    assert.equal(future.setRunningOrNotifyCancel(), false);
  });

  test('done callbacks run once done, at once when already done; a throwing one does not stop the others', async (t) => {
    const calls: string[] = [];
    const errors = t.mock.method(console, 'error', () => {});
    const future = new Future<number>();
    future.addDoneCallback(() => calls.push('first'));
    future.addDoneCallback(() => {
      throw new Error('callback failed');
    });
    future.addDoneCallback((done) => calls.push(`third saw done=${done.done()}`));
    future.setRunningOrNotifyCancel();
    future.setResult(1);
    future.addDoneCallback(() => calls.push('late'));
    assert.deepEqual(calls, ['first', 'third saw done=true', 'late']);
    assert.equal(errors.mock.callCount(), 1);
    assert.match(String(errors.mock.calls[0]?.arguments[0]), /exception calling callback for <Future state=finished returned>/);
    assert.throws(() => future.addDoneCallback('no' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  test('a Future is not a thenable', () => {
    assert.equal('then' in new Future(), false);
  });
});

describe('futures.wait and asCompleted', () => {
  function finished<T>(value: T): Future<T> {
    const future = new Future<T>();
    future.setRunningOrNotifyCancel();
    future.setResult(value);
    return future;
  }
  function failed(): Future<never> {
    const future = new Future<never>();
    future.setRunningOrNotifyCancel();
    future.setException(new Error('failed'));
    return future;
  }

  test('returnWhen: FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED, and timeout', async () => {
    const pending = new Future<number>();
    const done = finished(1);
    let result = await futures.wait([pending, done], { returnWhen: FIRST_COMPLETED });
    assert.deepEqual([result.done, result.notDone], [new Set([done]), new Set([pending])]);
    result = await futures.wait([pending, done], { timeout: 10 });
    assert.deepEqual([result.done.size, result.notDone.size], [1, 1]);
    const error = failed();
    result = await futures.wait([pending, done, error], { returnWhen: FIRST_EXCEPTION });
    assert.deepEqual(result.done, new Set([done, error]));
    const waiting = futures.wait([pending, done], { returnWhen: ALL_COMPLETED });
    pending.setRunningOrNotifyCancel();
    pending.setResult(2);
    assert.deepEqual((await waiting).notDone, new Set());
    await assert.rejects(futures.wait([done], { returnWhen: 'SOMETIMES' as never }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.equal(FIRST_COMPLETED, 'FIRST_COMPLETED');
  });

  test('asCompleted yields finished futures first, the rest as they finish, each once; timeout rejects', async () => {
    const early = finished('early');
    const later = new Future<string>();
    const seen: string[] = [];
    const iterating = (async () => {
      for await (const future of asCompleted([later, early, early])) seen.push(await future.result());
    })();
    later.setRunningOrNotifyCancel();
    later.setResult('later');
    await iterating;
    assert.deepEqual(seen, ['early', 'later']);
    const never = new Future();
    await assert.rejects(
      (async () => {
        for await (const _ of asCompleted([never], 10));
      })(),
      { name: 'TimeoutError', message: /1 \(of 1\) futures unfinished/ },
    );
  });

  test('the futures namespace and multiproc/futures export the same API', () => {
    assert.equal(subpath.ProcessPoolExecutor, ProcessPoolExecutor);
    assert.equal(subpath.wait, futures.wait);
    assert.equal(futures.asCompleted, asCompleted);
  });
});

for (const { name, make, broken } of executors) {
  describe(name, () => {
    test('the documentation example: prime checks with map and submit', async () => {
      const PRIMES = [112272535095293, 112582705942171, 112272535095293, 115280095190773, 115797848077099, 1099726899285419];
      await using executor = make(2);
      const results: boolean[] = [];
      for await (const prime of executor.map(isPrime, PRIMES)) results.push(prime);
      assert.deepEqual(results, [true, true, true, true, true, false]);
      const submitted = PRIMES.map((n) => executor.submit(isPrime, n));
      assert.deepEqual(await Promise.all(submitted.map((future) => future.result())), results);
    });

    test('map takes several iterables (zip), keeps input order, reads lazily, and honours chunkSize', async () => {
      await using executor = make(2);
      const got: number[] = [];
      for await (const value of executor.map(power, [2, 3, 4, 5], [1, 2, 3], { chunkSize: 2 })) got.push(value);
      assert.deepEqual(got, [2, 9, 64]);
      let read = 0;
      function* endless() {
        for (let n = 0; ; n++) {
          read = n;
          yield n;
        }
      }
      for await (const value of executor.map(power, endless(), endless())) if (value > 1000) break;
      assert.ok(read < 2000, `read ${read} items ahead of a break after a handful`);
    });

    test('map rejects with TimeoutError after its overall timeout', async () => {
      await using executor = make(1);
      await assert.rejects(
        (async () => {
          for await (const _ of executor.map(sleepThen, [0, 5_000], ['a', 'b'], { timeout: 200 }));
        })(),
        TimeoutError,
      );
    });

    test('calls not yet handed over can be cancelled; shutdown({ cancelFutures }) cancels them all', async (t) => {
      const executor = make(1);
      t.after(() => executor.shutdown());
      const first = executor.submit(sleepThen, 300, 'first');
      const rest = Array.from({ length: 6 }, (_, index) => executor.submit(sleepThen, 1, index));
      const last = rest.at(-1)!;
      assert.equal(last.cancel(), true);
      assert.equal(last.cancelled(), true);
      await executor.shutdown({ cancelFutures: true });
      assert.equal(await first.result(), 'first');
      assert.ok(rest.some((future) => future.cancelled()));
      for (const future of rest) if (!future.cancelled()) assert.equal(typeof (await future.result()), 'number');
      assert.throws(() => executor.submit(power, 2, 2), InvalidStateError);
    });

    test('many calls handed over together: each keeps its own outcome, inline functions included', async () => {
      await using executor = make(2);
      const submitted = Array.from({ length: 300 }, (_, index) =>
        index % 7 === 3 ? executor.submit(failWith, `call ${index}`) : index % 2 ? executor.submit(power, index, 2) : executor.submit((x: number) => -x, index),
      );
      const outcomes = await Promise.all(submitted.map((future) => future.result().catch((error: Error) => `${error.name}: ${error.message}`)));
      outcomes.forEach((outcome, index) => {
        const expected = index % 7 === 3 ? `RangeError: call ${index}` : index % 2 ? index ** 2 : -index;
        assert.equal(outcome, expected, `call ${index}`);
      });
    });

    test('a failing call fails its future only', async () => {
      await using executor = make(2);
      const failing = executor.submit(failWith, 'bad input');
      const fine = executor.submit(power, 2, 10);
      await assert.rejects(failing.result(), { name: 'RangeError', message: 'bad input' });
      assert.equal(await fine.result(), 1024);
    });

    test('a worker that dies breaks the executor: unfinished futures fail and submit throws', async (t) => {
      const executor = make(1);
      t.after(() => executor.shutdown());
      const dying = executor.submit(dieAbruptly);
      const queued = executor.submit(sleepThen, 1, 'never');
      await assert.rejects(dying.result(), broken);
      await assert.rejects(queued.result(), broken);
      assert.throws(() => executor.submit(power, 2, 2), broken);
    });

    test(`a ${broken.name} is a BrokenExecutor, as in Python's concurrent.futures`, async (t) => {
      const executor = make(1);
      t.after(() => executor.shutdown());
      const error = await executor
        .submit(dieAbruptly)
        .result()
        .then(() => assert.fail('the task of a dead worker must fail'), (reason: unknown) => reason);
      assert.ok(error instanceof broken);
      assert.ok(error instanceof BrokenExecutor);
      assert.ok(error instanceof futures.BrokenExecutor);
      assert.ok(error instanceof subpath.BrokenExecutor);
      assert.equal((error as BrokenExecutor).code, broken === BrokenProcessPool ? 'ERR_MP_BROKEN_PROCESS_POOL' : 'ERR_MP_BROKEN_THREAD_POOL');
      assert.equal(new BrokenExecutor('lost').code, 'ERR_MP_BROKEN_EXECUTOR');
    });
  });
}

test('executors take initializer and initArgs; ProcessPoolExecutor takes maxTasksPerChild', async () => {
  for (const Executor of [ProcessPoolExecutor, ThreadPoolExecutor]) {
    await using executor = new Executor({ maxWorkers: 1, initializer: initialize, initArgs: ['set up'] });
    assert.equal(await executor.submit(readInitialized).result(), 'set up');
  }
  await using executor = new ProcessPoolExecutor({ maxWorkers: 1, maxTasksPerChild: 1 });
  const first = await executor.submit(echoPid).result();
  const second = await executor.submit(echoPid).result();
  assert.notEqual(first, second);
});

test('bad arguments are named', () => {
  assert.throws(() => new ProcessPoolExecutor({ maxWorkers: 0 }), { code: 'ERR_OUT_OF_RANGE', message: /maxWorkers/ });
  assert.throws(() => new ThreadPoolExecutor('four' as never), { code: 'ERR_INVALID_ARG_TYPE' });
});
