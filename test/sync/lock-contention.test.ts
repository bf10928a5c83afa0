// Lock and RLock under contention: a free lock is taken by one compare-and-swap and its acquire
// returns a settled promise; busy workers in processes and threads lose no increment; a release
// wakes one parked waiter, and a waiter is never stranded by a holder or a woken waiter that died.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lock, Pool, Process, RLock, Value } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';
import { holdBusyUntilKilled, incrementUnder, lockWordIn, takeLockWord, WAITERS, WAKE, wordsOf } from '../fixtures/lock-tasks.ts';
import { tryRLock } from '../fixtures/tasks.ts';
import { endAfter, eventually, forEachContext } from '../helpers/contexts.ts';
import { withMemory } from '../helpers/shared.ts';
import { Deadline } from '../../src/base/deadline.ts';

const needsAddon = loadNative() ? false : 'a lock crosses processes only with the native addon';
/** Increments per worker: enough for the workers to contend, park and wake one another many times. */
const TURNS = 20_000;

/** Resolves after a few turns of the event loop: long enough for a settled promise's callbacks to run. */
async function turnsOfTheLoop(): Promise<void> {
  for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
}

test('acquire of a free Lock returns a Promise that is already settled with true; a second acquire waits for the release', async () => {
  const lock = new Lock();
  const first = lock.acquire();
  assert.ok(first instanceof Promise);
  assert.equal(await first, true);
  let isSettled = false;
  const second = lock.acquire().then((taken) => {
    isSettled = true;
    return taken;
  });
  await turnsOfTheLoop();
  assert.equal(isSettled, false, 'a held lock is not taken again');
  lock.release();
  assert.equal(await second, true);
  lock.release();
  assert.equal(await lock.acquire({ block: false }), true, 'free again after the second release');
  lock.release();
});

test('acquire of a free RLock returns a settled Promise; its owner enters again, another thread does not', async (t) => {
  const lock = new RLock();
  const first = lock.acquire();
  assert.ok(first instanceof Promise);
  assert.equal(await first, true);
  assert.equal(await lock.acquire(), true, 'the owner enters again');
  const pool = new Pool({ processes: 1, context: 'thread' });
  t.after(() => pool.terminate());
  assert.equal(await pool.apply(tryRLock, [lock]), false, 'another thread finds it held');
  lock.release();
  assert.equal(await pool.apply(tryRLock, [lock]), false, 'still held: one level left');
  lock.release();
  assert.equal(lock.isMine(), false);
});

forEachContext((context) => {
  const skip = context === 'process' ? needsAddon : false;

  for (const [name, makeLock] of [
    ["a Value's own RLock", () => undefined],
    ['a Lock', () => new Lock()],
  ] as const) {
    test(`four workers incrementing a Value ${TURNS} times each under ${name} reach the exact total`, { skip, timeout: 120_000 }, async (t) => {
      const lockOption = makeLock();
      const counter = new Value('i', 0, lockOption ? { lock: lockOption } : {});
      const lock = counter.getLock();
      const pool = new Pool({ processes: 4, context });
      t.after(() => pool.terminate());
      await pool.starmap(incrementUnder, Array.from({ length: 4 }, () => [counter, lock, TURNS] as [Value<'i'>, Lock | RLock, number]), { chunkSize: 1 });
      assert.equal(counter.value, 4 * TURNS);
      assert.equal(await lock.acquire({ block: false }), true, 'the lock is free at the end');
      lock.release();
    });
  }
});

test('processes, worker threads and this thread contending for one lock lose no increment', { skip: needsAddon, timeout: 120_000 }, async (t) => {
  const counter = new Value('i', 0);
  const lock = counter.getLock();
  const processes = new Pool({ processes: 2, context: 'process' });
  const threads = new Pool({ processes: 2, context: 'thread' });
  t.after(() => Promise.all([processes.terminate(), threads.terminate()]));
  const jobs = () => Array.from({ length: 2 }, () => [counter, lock, TURNS] as [Value<'i'>, Lock | RLock, number]);
  await Promise.all([
    processes.starmap(incrementUnder, jobs(), { chunkSize: 1 }),
    threads.starmap(incrementUnder, jobs(), { chunkSize: 1 }),
    incrementUnder(counter, lock, TURNS),
  ]);
  assert.equal(counter.value, 5 * TURNS);
});

for (const [name, makeLock] of [
  ['a Lock', () => new Lock()],
  ["a Value's RLock", () => new Value('i', 0).getLock()],
] as const) {
  test(`a waiter already parked on ${name} takes it over when its holder is killed with SIGKILL`, { skip: needsAddon, timeout: 60_000 }, (t) =>
    withMemory(async (memory) => {
      const lock = makeLock();
      const holder = endAfter(t, new Process({ target: holdBusyUntilKilled, args: [lock, memory] }));
      holder.start();
      assert.ok(await eventually(() => memory.buf[0] === 1), 'the holder never took the lock');
      const waiting = lock.acquire(); // no options: the path every plain acquire takes
      await turnsOfTheLoop();
      holder.kill(); // SIGKILL
      await holder.join();
      assert.equal(await waiting, true);
      lock.release();
      assert.equal(await lock.acquire({ block: false }), true, 'released for good');
      lock.release();
    }),
  );
}

test('a waiter parked before a woken waiter died is not stranded: it takes the lock at its next liveness check', { skip: needsAddon, timeout: 60_000 }, (t) =>
  withMemory(async (memory) => {
    const lock = lockWordIn(memory);
    const words = wordsOf(memory);
    assert.equal(lock.tryTake(), true);
    const waiter = endAfter(t, new Process({ target: takeLockWord, args: [memory.name, 30_000] }));
    waiter.start();
    assert.ok(await eventually(() => Atomics.load(words, WAITERS) >= 2), 'the waiter never counted itself');
    // What a waiter that a release woke leaves behind when it dies before looking at the lock:
    // the "woken" bit, which keeps releases from waking anyone.
    Atomics.or(words, WAITERS, 1);
    const wakesBefore = Atomics.load(words, WAKE);
    assert.equal(lock.release(), true);
    await waiter.join();
    assert.equal(waiter.exitCode, 0);
    assert.ok(Atomics.load(words, WAKE) - wakesBefore <= 1);
    assert.equal(Atomics.load(words, WAITERS) >> 1, 0, 'no waiter is counted any more');
    assert.equal(lock.holder(), null);
  }),
);

test('waiters that time out or are aborted uncount themselves, and a release then wakes nobody', { skip: needsAddon }, () =>
  withMemory(async (memory) => {
    const lock = lockWordIn(memory);
    const words = wordsOf(memory);
    assert.equal(lock.tryTake(), true);
    assert.equal(await lock.take(Deadline.after(20)), false);
    const controller = new AbortController();
    const aborted = lock.take(Deadline.after(undefined), controller.signal);
    await turnsOfTheLoop();
    controller.abort(new Error('stop'));
    await assert.rejects(aborted, /stop/);
    assert.equal(Atomics.load(words, WAITERS), 0);
    const wakes = Atomics.load(words, WAKE);
    assert.equal(lock.release(), true);
    assert.equal(Atomics.load(words, WAKE), wakes, 'nobody to wake');
    assert.equal(await takeLockWord(memory.name, 1_000), true);
  }),
);

test('a waiter that a release woke and that is then aborted clears the woken mark, and another waiter takes the lock', { skip: needsAddon }, () =>
  withMemory(async (memory) => {
    const lock = lockWordIn(memory);
    const words = wordsOf(memory);
    /** What a release that woke a waiter leaves: the lock free (without a wake here) and the woken mark. */
    const releasedWithWake = () => {
      Atomics.store(words, 0, 0);
      Atomics.store(words, 1, 0);
      Atomics.or(words, WAITERS, 1);
    };
    assert.equal(lock.tryTake(), true);
    const alone = new AbortController();
    const lone = lock.take(Deadline.after(undefined), alone.signal);
    assert.ok(await eventually(() => Atomics.load(words, WAITERS) === 2), 'the waiter never counted itself');
    releasedWithWake();
    alone.abort(new Error('stop'));
    await assert.rejects(lone, /stop/);
    assert.equal(Atomics.load(words, WAITERS), 0, 'no waiter counted, no woken mark left');

    assert.equal(lock.tryTake(), true);
    const controller = new AbortController();
    const aborted = lock.take(Deadline.after(undefined), controller.signal);
    const other = lock.take(Deadline.after(30_000));
    assert.ok(await eventually(() => Atomics.load(words, WAITERS) === 4), 'the waiters never counted themselves');
    releasedWithWake();
    controller.abort(new Error('stop'));
    await assert.rejects(aborted, /stop/);
    assert.equal(await other, true);
    assert.equal(lock.release(), true);
    assert.equal(Atomics.load(words, WAITERS) & ~1, 0, 'no waiter counted');
  }),
);
