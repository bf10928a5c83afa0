import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { InvalidStateError, Lock, Pool, Process, type SharedMemory } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';
import { holdLockForever, incrementUnderLock, readAfterLock, viaGrandchild } from '../fixtures/tasks.ts';
import { endAfter, eventually, forEachContext } from '../helpers/contexts.ts';
import { withMemory } from '../helpers/shared.ts';

const run = promisify(execFile);
const skip = loadNative() ? false : 'the native addon is not built here';


forEachContext((context) => {
  test('four workers incrementing under the lock end at the exact total', { skip }, () =>
    withMemory(async (memory) => {
      const lock = new Lock();
      await using pool = new Pool({ processes: 4, context });
      await pool.starmap(incrementUnderLock, Array.from({ length: 4 }, () => [lock, memory, 100] as [Lock, SharedMemory, number]), { chunkSize: 1 });
      assert.equal(new Int32Array(memory.buf.buffer, memory.buf.byteOffset, 1)[0], 400);
    }));

  test('a waiter in a child is released when this side releases', { skip }, (t) =>
    withMemory(async (memory) => {
      const lock = new Lock();
      await lock.acquire();
      const child = endAfter(t, new Process({ target: readAfterLock, args: [lock, memory], context }));
      child.start();
      memory.buf[0] = 5; // written while holding the lock: the child must see it
      lock.release();
      await child.join();
      assert.equal(child.exitCode, 0);
      assert.equal(memory.buf[1], 15);
    }));
});

test('a lock reaches a grandchild and is the same lock there', { skip }, (t) =>
  withMemory(async (memory) => {
    const lock = new Lock();
    await lock.acquire();
    const child = endAfter(t, new Process({ target: viaGrandchild, args: [lock, memory] }));
    child.start();
    memory.buf[0] = 7;
    lock.release();
    await child.join();
    assert.equal(child.exitCode, 0);
    assert.equal(memory.buf[1], 17);
  }));

test('the lock of a holder killed with SIGKILL passes to the next acquirer', { skip }, (t) =>
  withMemory(async (memory) => {
    const lock = new Lock();
    const holder = endAfter(t, new Process({ target: holdLockForever, args: [lock, memory] }));
    holder.start();
    assert.ok(await eventually(() => memory.buf[0] === 1), 'the holder never took the lock');
    assert.equal(await lock.acquire({ block: false }), false);
    holder.kill();
    await holder.join();
    assert.equal(await lock.acquire({ timeout: 15_000 }), true);
    lock.release();
  }));

test('non-blocking and timed acquires return false while the lock is held', async () => {
  const lock = new Lock();
  assert.equal(await lock.acquire(), true);
  assert.equal(await lock.acquire({ block: false }), false);
  assert.equal(await lock.acquire({ timeout: 20 }), false);
  lock.release();
  assert.equal(await lock.acquire({ block: false }), true);
  lock.release();
});

test('releasing a lock that is not held is an InvalidStateError; bad options are TypeErrors', async () => {
  const lock = new Lock();
  assert.throws(() => lock.release(), InvalidStateError);
  await assert.rejects(lock.acquire({ timeout: -1 }), RangeError);
  await assert.rejects(lock.acquire({ block: 'yes' as never }), TypeError);
});

test('hold() releases at the end of an await using block, and times out with TimeoutError', async () => {
  const lock = new Lock();
  {
    await using _held = await lock.hold();
    assert.equal(await lock.acquire({ block: false }), false);
  }
  assert.equal(await lock.acquire({ block: false }), true);
  await assert.rejects(lock.hold({ timeout: 10 }), { name: 'TimeoutError' });
  lock.release();
});

test('without the native addon a lock works between threads and refuses to go to a process', async () => {
  const program = `const { Lock, ThreadPool, Process } = await import('multiproc');
    const lock = new Lock();
    const pool = new ThreadPool(2);
    await lock.acquire();
    const waiting = pool.apply(async (lock) => { await lock.acquire(); lock.release(); return 'released'; }, [lock]);
    lock.release();
    console.log(await waiting);
    pool.close(); await pool.join();
    try { new Process({ target: () => {}, args: [lock] }).start(); } catch (error) { console.log(error.name, error.message); }`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', program], {
    env: { ...process.env, MULTIPROC_NO_NATIVE: '1' },
  });
  assert.match(stdout, /^released\nTypeError Process: args\[0\]: this object lives in memory shared between threads only/);
});
