import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { Process, Queue } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';
import { Announcer, Failing, Squarer, Ticker } from '../fixtures/process-subclasses.ts';
import { endAfter, forEachContext } from '../helpers/contexts.ts';

/** Queue (these tests' way back from the child) needs the native addon. */
const needsQueue = loadNative() === null ? 'Queue needs the native addon' : false;


/** Starts the process, and makes sure it is gone and joined when the test ends, passed or failed. */
function startForTest<P extends Process>(t: TestContext, child: P): P {
  endAfter(t, child).start();
  return child;
}

function queueForTest<T>(t: TestContext): Queue<T> {
  const queue = new Queue<T>();
  t.after(() => queue.close());
  return queue;
}

forEachContext((context) => {
  test("a registered subclass's async run() runs in the child on a copy of its fields, a Queue among them", { skip: needsQueue }, async (t) => {
    const results = queueForTest<Record<string, unknown>>(t);
    const worker = startForTest(t, new Squarer(results, 7, context));
    const seen = await results.get();
    await worker.join();
    assert.equal(worker.exitCode, 0);
    assert.deepEqual(
      { ...seen, pid: undefined },
      {
        value: 49,
        label: 'plain data',
        name: worker.name,
        pid: undefined,
        isAlive: true,
        isSquarer: true,
        constructions: 0, // the constructor did not run in the child
        startError: 'InvalidStateError', // the child's copy cannot start itself again
      },
    );
    assert.match(worker.name, /^Squarer-\d+$/);
    assert.equal(seen.pid, worker.pid);
  });

  test("a subclass's run() may call the base run(), which calls the target", { skip: needsQueue }, async (t) => {
    const results = queueForTest<string>(t);
    const announcer = startForTest(t, new Announcer(results, context));
    assert.deepEqual([await results.get(), await results.get()], ['from the target', 'from run()']);
    await announcer.join();
    assert.equal(announcer.exitCode, 0);
  });

  test('a Process with no target and no run() of its own does nothing and exits with 0', async (t) => {
    const idle = startForTest(t, new Process({ context }));
    await idle.join();
    assert.equal(idle.exitCode, 0);
  });

  test("an error thrown by a subclass's run() gives exitCode 1", async (t) => {
    const failing = startForTest(t, new Failing({ context }));
    await failing.join();
    assert.equal(failing.exitCode, 1);
  });
});

test('a Thread subclass runs its run() in a worker thread of this process', { skip: needsQueue }, async (t) => {
  const results = queueForTest<{ tick: number; pid: number; name: string }>(t);
  const ticker = startForTest(t, new Ticker(results, 2));
  assert.equal(ticker.context, 'thread');
  assert.deepEqual([await results.get(), await results.get()], [
    { tick: 1, pid: process.pid, name: 'ticker' },
    { tick: 2, pid: process.pid, name: 'ticker' },
  ]);
  await ticker.join();
  assert.equal(ticker.exitCode, 0);
});

test('a subclass that overrides run() but was not registered is refused at start() with how to register it', () => {
  class Unregistered extends Process {
    override run(): void {}
  }
  const unregistered = new Unregistered();
  assert.throws(() => unregistered.start(), (error: Error & { code?: string }) => {
    assert.equal(error.name, 'TypeError');
    assert.equal(error.code, 'ERR_INVALID_ARG_VALUE');
    assert.match(error.message, /^Process\.start: "Unregistered" must be a class registered in its module/);
    assert.match(error.message, /register\(import\.meta\.url, \{ Unregistered \}\)/);
    assert.match(error.message, /private #fields cannot be copied/);
    return true;
  });
  assert.equal(unregistered.pid, undefined); // nothing was started
});

test('an unregistered subclass that keeps the base run() runs its target as a plain Process', async (t) => {
  class Named extends Process {}
  const named = startForTest(t, new Named({ target: () => {}, context: 'thread' }));
  await named.join();
  assert.equal(named.exitCode, 0);
  assert.match(named.name, /^Named-\d+$/);
});

test('a field that cannot be sent is refused at start() with a TypeError naming it', { skip: needsQueue }, (t) => {
  const results = queueForTest<unknown>(t);
  const worker = new Squarer(results, 2, 'process');
  (worker as unknown as { callback: () => void }).callback = () => {};
  assert.throws(() => worker.start(), { name: 'TypeError', message: /^Squarer\.callback: functions cannot be sent/ });
  assert.equal(worker.pid, undefined);
});

test('run() called in this process calls the target here, as Python allows', async () => {
  const seen: number[] = [];
  new Process({ target: (value: number) => seen.push(value), args: [1] }).run();
  await new Process({ target: async (value: number) => seen.push(value), args: [2] }).run();
  assert.deepEqual(seen, [1, 2]);
});
