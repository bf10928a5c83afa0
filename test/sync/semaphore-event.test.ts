import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedSemaphore, Event, InvalidStateError, Pool, Process, Semaphore, type SharedMemory } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';
import { countHolders, writeWhenSet } from '../fixtures/tasks.ts';
import { endAfter, forEachContext } from '../helpers/contexts.ts';
import { withMemory } from '../helpers/shared.ts';

const skip = loadNative() ? false : 'the native addon is not built here';


forEachContext((context) => {
  test('a semaphore of 2 never lets more than 2 of 4 workers in at once', { skip }, () =>
    withMemory(async (memory) => {
      const semaphore = new Semaphore(2);
      await using pool = new Pool({ processes: 4, context });
      await pool.starmap(countHolders, Array.from({ length: 4 }, () => [semaphore, memory, 50] as [Semaphore, SharedMemory, number]), { chunkSize: 1 });
      const words = new Int32Array(memory.buf.buffer, memory.buf.byteOffset, 2);
      assert.equal(words[0], 0);
      assert.ok(words[1] >= 1 && words[1] <= 2, `at most 2 holders, saw ${words[1]}`);
      assert.equal(semaphore.getValue(), 2);
    }));

  test('set() wakes a child waiting on an Event', { skip }, (t) =>
    withMemory(async (memory) => {
      const event = new Event();
      const child = endAfter(t, new Process({ target: writeWhenSet, args: [event, memory], context }));
      child.start();
      assert.equal(memory.buf[2], 0);
      event.set();
      await child.join();
      assert.equal(child.exitCode, 0);
      assert.equal(memory.buf[2], 1);
    }));
});

test('Semaphore: non-blocking and timed acquires, getValue, hold()', async () => {
  const semaphore = new Semaphore(1);
  assert.equal(await semaphore.acquire(), true);
  assert.equal(semaphore.getValue(), 0);
  assert.equal(await semaphore.acquire({ block: false }), false);
  assert.equal(await semaphore.acquire({ timeout: 10 }), false);
  semaphore.release();
  semaphore.release(); // an unbounded semaphore may go above its initial value
  assert.equal(semaphore.getValue(), 2);
  {
    await using _permit = await semaphore.hold();
    assert.equal(semaphore.getValue(), 1);
  }
  assert.equal(semaphore.getValue(), 2);
  assert.throws(() => new Semaphore(-1), RangeError);
});

test('BoundedSemaphore refuses a release above its initial value', async () => {
  const semaphore = new BoundedSemaphore(2);
  assert.throws(() => semaphore.release(), InvalidStateError);
  await semaphore.acquire();
  semaphore.release();
  assert.equal(semaphore.getValue(), 2);
  assert.match(String(semaphore), /BoundedSemaphore value=2/);
});

test('Event: wait returns false on timeout, true once set; clear resets it', async () => {
  const event = new Event();
  assert.equal(event.isSet(), false);
  assert.equal(await event.wait(10), false);
  event.set();
  assert.equal(await event.wait(), true);
  assert.equal(await event.wait(0), true);
  event.clear();
  assert.equal(event.isSet(), false);
  await assert.rejects(event.wait(-5), RangeError);
});
