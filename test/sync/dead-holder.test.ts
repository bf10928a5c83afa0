// A lock held by a worker thread that dies (terminated, or ended by process.exit) passes to the
// next acquirer, in this process or in another one, as a lock of a dead process does: the lock
// word names its holder by OS thread id and start time, which any process can check in /proc.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { Condition, Event, Lock, Process, RLock, Semaphore, SharedArray, Thread, Value } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';
import {
  acquireOrFail,
  channelLockHolder,
  type Holdable,
  holdAndExit,
  holdChannelLock,
  holdUntilKilled,
  lockOf,
  takeChannelLock,
} from '../fixtures/sync-tasks.ts';
import { withMemory } from '../helpers/shared.ts';

const needsAddon = loadNative() ? false : 'a lock crosses processes only with the native addon';
/** A generous bound for "does not hang": a takeover happens at the waiter's next liveness check. */
const LIMIT_MS = 15_000;

const targets: [string, () => Holdable][] = [
  ['a Lock', () => new Lock()],
  ['an RLock', () => new RLock()],
  ["a Condition's lock", () => new Condition()],
  ["a Value's lock", () => new Value('i', 0)],
  ["a SharedArray's lock", () => new SharedArray('i', 4)],
];

type Death = 'terminated' | 'ended by process.exit';

/** Runs `target` in a Thread until `taken` is set, then lets it die the given way, and waits for its exit. */
async function dieHolding<A extends unknown[]>(t: TestContext, target: (...args: A) => unknown, args: A, taken: Event, death: Death): Promise<void> {
  const holder = new Thread({ target, args });
  t.after(() => {
    if (holder.isAlive()) holder.kill();
  });
  holder.start();
  assert.equal(await taken.wait(LIMIT_MS), true, 'the thread never took the lock');
  if (death === 'terminated') holder.terminate();
  await holder.join();
}

/** Starts `target` in a child process and says whether it exited with 0. */
async function runInProcess<A extends unknown[]>(t: TestContext, target: (...args: A) => unknown, args: A): Promise<number | null> {
  const child = new Process({ target, args });
  t.after(() => {
    if (child.isAlive()) child.kill();
  });
  child.start();
  await child.join();
  return child.exitCode;
}

for (const [name, make] of targets) {
  for (const death of ['terminated', 'ended by process.exit'] as const) {
    const holderTask = death === 'terminated' ? holdUntilKilled : holdAndExit;

    test(`${name} held by a thread that is ${death} passes to an acquirer in this process`, { timeout: 60_000 }, async (t) => {
      const target = make();
      const taken = new Event();
      const holder = new Thread({ target: holderTask, args: [target, taken] });
      t.after(() => {
        if (holder.isAlive()) holder.kill();
      });
      holder.start();
      assert.equal(await taken.wait(LIMIT_MS), true, 'the thread never took the lock');
      if (death === 'terminated') {
        assert.equal(await lockOf(target).acquire({ block: false }), false, 'a live holder keeps its lock');
        // A waiter already parked when the holder dies is released too.
        const waiting = lockOf(target).acquire({ timeout: LIMIT_MS });
        holder.terminate();
        await holder.join();
        assert.equal(await waiting, true);
      } else {
        await holder.join();
        assert.equal(await lockOf(target).acquire({ timeout: LIMIT_MS }), true);
      }
      lockOf(target).release();
      assert.equal(await lockOf(target).acquire({ block: false }), true, 'the lock is free again after its release');
      lockOf(target).release();
    });

    test(`${name} held by a thread that is ${death} passes to an acquirer in another process`, { skip: needsAddon, timeout: 60_000 }, async (t) => {
      const target = make();
      const taken = new Event();
      await dieHolding(t, holderTask, [target, taken], taken, death);
      assert.equal(await runInProcess(t, acquireOrFail, [target, LIMIT_MS]), 0);
      assert.equal(await lockOf(target).acquire({ block: false }), true, 'the other process released it');
      lockOf(target).release();
    });
  }
}

for (const death of ['terminated', 'ended by process.exit'] as const) {
  const how = death === 'terminated' ? 'killed' : 'exit';

  test(`a channel lock held by a thread that is ${death} passes to a writer in another process`, { skip: needsAddon, timeout: 60_000 }, (t) =>
    withMemory(async (memory) => {
      const taken = new Event();
      await dieHolding(t, holdChannelLock, [memory.name, taken, how], taken, death);
      assert.notEqual(channelLockHolder(memory), 0, 'the dead thread still names itself the holder');
      assert.equal(await runInProcess(t, takeChannelLock, [memory.name]), 0);
      assert.equal(channelLockHolder(memory), 0);
    }),
  );

  test(`a channel lock held by a thread that is ${death} passes to a writer in this process`, { skip: needsAddon, timeout: 60_000 }, (t) =>
    withMemory(async (memory) => {
      const taken = new Event();
      await dieHolding(t, holdChannelLock, [memory.name, taken, how], taken, death);
      takeChannelLock(memory.name); // blocks this thread until it has taken over: it must not hang
      assert.equal(channelLockHolder(memory), 0);
    }),
  );
}

test('a Semaphore permit taken by a thread that is terminated is not returned (as in Python), and waiters still time out', { timeout: 60_000 }, async (t) => {
  const semaphore = new Semaphore(1);
  const taken = new Event();
  await dieHolding(t, holdUntilKilled, [semaphore, taken], taken, 'terminated');
  assert.equal(semaphore.getValue(), 0);
  assert.equal(await semaphore.acquire({ timeout: 20 }), false);
  semaphore.release();
  assert.equal(await semaphore.acquire({ block: false }), true);
});
