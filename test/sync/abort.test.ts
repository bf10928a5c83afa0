// `{ signal }` on the sync waits: aborting rejects with signal.reason and leaves nothing behind
// (an aborted acquire never holds the lock later, the waiter counts are restored, a Condition's
// lock is held again, a Barrier breaks as on a timeout).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Barrier, BoundedSemaphore, BrokenBarrierError, Condition, Event, Lock, RLock, Semaphore, Thread } from 'multiproc';
import { holdUntilKilled } from '../fixtures/sync-tasks.ts';

/** The reason a test aborts with: what the rejection must be, by identity. */
function aborter(): { controller: AbortController; reason: Error } {
  return { controller: new AbortController(), reason: new Error('stop waiting') };
}

/** The waiter-count word of a lock or semaphore (an internal view, to check an abort restored it). */
function waiters(object: Lock | RLock | Semaphore): number {
  const words = (object as unknown as { sharedBlock: { words: Int32Array } }).sharedBlock.words;
  return Atomics.load(words, object instanceof Lock ? 2 : object instanceof RLock ? 3 : 1);
}

const acquirables: [string, () => Lock | RLock | Semaphore][] = [
  ['Lock', () => new Lock()],
  ['RLock', () => new RLock()],
  ['Semaphore', () => new Semaphore(1)],
  ['BoundedSemaphore', () => new BoundedSemaphore(1)],
];

for (const [name, make] of acquirables) {
  test(`${name}.acquire and hold() with an already aborted signal reject at once; a bad signal is a TypeError`, async () => {
    const lock = make();
    const { controller, reason } = aborter();
    controller.abort(reason);
    await assert.rejects(lock.acquire({ signal: controller.signal }), (error) => error === reason);
    await assert.rejects(lock.hold({ signal: controller.signal }), (error) => error === reason);
    await assert.rejects(lock.acquire({ signal: 'stop' as never }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.equal(await lock.acquire({ block: false }), true, 'nothing was taken');
    lock.release();
  });

  if (name === 'RLock') continue; // its owner would count up instead of waiting: see the test with a thread below
  test(`${name}.acquire rejects with the signal's reason when aborted while waiting, and never takes it later`, async () => {
    const lock = make();
    assert.equal(await lock.acquire(), true);
    const { controller, reason } = aborter();
    const waiting = lock.acquire({ signal: controller.signal });
    controller.abort(reason);
    await assert.rejects(waiting, (error) => error === reason);
    assert.equal(waiters(lock), 0);
    lock.release();
    assert.equal(await lock.acquire({ block: false }), true, 'the aborted acquire did not take it behind our back');
    lock.release();
  });
}

test('RLock.acquire waiting for another thread rejects with the reason when aborted, and never takes it later', { timeout: 60_000 }, async (t) => {
  const lock = new RLock();
  const taken = new Event();
  const holder = new Thread({ target: holdUntilKilled, args: [lock, taken] });
  t.after(() => {
    if (holder.isAlive()) holder.kill();
  });
  holder.start();
  assert.equal(await taken.wait(15_000), true);
  const { controller, reason } = aborter();
  const waiting = lock.acquire({ signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(waiting, (error) => error === reason);
  assert.equal(waiters(lock), 0);
  assert.equal(lock.isMine(), false);
  holder.terminate();
  await holder.join();
  // A wait, not a try: join() may resolve a moment before the OS thread has left /proc.
  assert.equal(await lock.acquire({ timeout: 15_000 }), true, 'the dead owner\'s lock passes on');
  lock.release();
});

test('Event.wait rejects with the reason when aborted, and later waits still work', async () => {
  const event = new Event();
  const { controller, reason } = aborter();
  const waiting = event.wait(undefined, { signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(waiting, (error) => error === reason);
  event.set();
  assert.equal(await event.wait(undefined, { signal: new AbortController().signal }), true);
});

test('Condition.wait and waitFor reject with the reason when aborted, and the lock is held again', async () => {
  const lock = new RLock();
  const condition = new Condition(lock);
  await condition.acquire();
  const { controller, reason } = aborter();
  const waiting = condition.wait(undefined, { signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(waiting, (error) => error === reason);
  assert.equal(lock.isMine(), true, 'wait() takes the lock back before it rejects, as Python does');
  const second = aborter();
  const waitingFor = condition.waitFor(() => false, undefined, { signal: second.controller.signal });
  second.controller.abort(second.reason);
  await assert.rejects(waitingFor, (error) => error === second.reason);
  assert.equal(lock.isMine(), true);
  condition.notify(); // needs the lock: it is held
  condition.release();
});

test('an aborted Barrier.wait rejects with the reason and breaks the barrier, as a timeout does', async () => {
  const barrier = new Barrier(3);
  const other = barrier.wait();
  const { controller, reason } = aborter();
  const waiting = barrier.wait(undefined, { signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(waiting, (error) => error === reason);
  await assert.rejects(other, BrokenBarrierError);
  assert.equal(barrier.broken, true);
  barrier.reset();
  assert.equal(barrier.broken, false);
});
