// FileLock: flock(2) between unrelated processes (Python's fcntl.flock, a plain node program,
// multiproc's children), shared against exclusive, with timeouts and aborts that hold nothing,
// waits that leave the event loop free, and no descriptor left behind.
import assert from 'node:assert/strict';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidStateError, Pool, TimeoutError } from 'multiproc';
import { FileLock } from 'multiproc/ipc';
import { tryFileLock } from '../fixtures/file-ipc-tasks.ts';
import { pythonMissing, startNode, startPython } from '../helpers/peers.ts';
import { openFdCount, scratchDir } from '../helpers/scratch-dir.ts';
import { loadNative } from '../../src/native/loader.ts';

const skip = loadNative() ? false : 'the native addon is not built here';
const skipPython = skip || pythonMissing('python3', 'mmap, fcntl') || false;

/**
 * Python's `fcntl.flock` on `open(path, 'a')`, driven by lines: "ex"/"sh" wait for the lock and
 * answer "held"; "try-ex"/"try-sh" answer "held" or "busy" at once; "un" answers "released".
 */
const PYTHON_FLOCK = `import fcntl, sys
f = open(sys.argv[1], 'a')
kinds = {'ex': fcntl.LOCK_EX, 'sh': fcntl.LOCK_SH}
print('ready')
for line in sys.stdin:
    command = line.strip()
    if command == 'un':
        fcntl.flock(f, fcntl.LOCK_UN); print('released')
    elif command.startswith('try-'):
        try:
            fcntl.flock(f, kinds[command[4:]] | fcntl.LOCK_NB); print('held')
        except BlockingIOError:
            print('busy')
    else:
        fcntl.flock(f, kinds[command]); print('held')`;

async function pythonLocker(t: Parameters<typeof startPython>[0], path: string) {
  const peer = startPython(t, PYTHON_FLOCK, [path]);
  assert.equal(await peer.nextLine(), 'ready');
  return {
    peer,
    async ask(command: string): Promise<string> {
      peer.send(command);
      return peer.nextLine();
    },
  };
}

test("an exclusive lock held by Python's fcntl.flock makes tryLock false and lock time out, holding nothing", { skip: skipPython }, async (t) => {
  const path = join(scratchDir(t), 'app.lock');
  const python = await pythonLocker(t, path);
  assert.equal(await python.ask('ex'), 'held');
  const lock = new FileLock(path);
  assert.equal(lock.tryLock(), false);
  assert.equal(lock.tryLock({ shared: true }), false);
  await assert.rejects(lock.lock({ timeout: 50 }), (error: Error) => error instanceof TimeoutError && /FileLock.lock\(.*app.lock\): not done within 50 ms/.test(error.message));
  assert.equal(lock.held, false);
  assert.equal(await python.ask('un'), 'released');
  // The timed-out wait took nothing later on: Python can lock again at once.
  assert.equal(await python.ask('try-ex'), 'held');
  assert.equal(await python.ask('un'), 'released');
  assert.equal(lock.tryLock(), true);
  lock.unlock();
});

test('shared locks coexist with Python shared holders and exclude its exclusive ones, and the reverse', { skip: skipPython }, async (t) => {
  const path = join(scratchDir(t), 'app.lock');
  const python = await pythonLocker(t, path);
  const lock = new FileLock(path);
  assert.equal(await python.ask('sh'), 'held');
  assert.equal(lock.tryLock({ shared: true }), true);
  assert.equal(lock.tryLock(), false, 'exclusive while shared holders exist');
  lock.unlock();
  assert.equal(await python.ask('un'), 'released');
  await lock.lock();
  assert.equal(await python.ask('try-sh'), 'busy');
  assert.equal(await python.ask('try-ex'), 'busy');
  lock.unlock();
  await lock.lock({ shared: true });
  assert.equal(await python.ask('try-sh'), 'held');
  assert.equal(await python.ask('un'), 'released');
  assert.equal(await python.ask('try-ex'), 'busy');
  lock.unlock();
  assert.equal(await python.ask('try-ex'), 'held');
});

test('a lock() waiting on a plain node program is released from a setTimeout callback: the event loop runs while it waits', { skip }, async (t) => {
  const path = join(scratchDir(t), 'app.lock');
  const peer = startNode(
    t,
    `import { FileLock } from 'multiproc/ipc';
     import { createInterface } from 'node:readline';
     const lock = new FileLock(process.argv[1]);
     await lock.lock();
     console.log('held');
     for await (const line of createInterface({ input: process.stdin })) { lock.unlock(); console.log('released'); break; }`,
    [path],
  );
  assert.equal(await peer.nextLine(), 'held');
  const lock = new FileLock(path);
  let timerRan = false;
  setTimeout(() => {
    timerRan = true;
    peer.send('release'); // could not run if lock() blocked the event loop
  }, 20);
  await lock.lock({ timeout: 60_000 });
  assert.ok(timerRan);
  assert.equal(lock.held, true);
  lock.unlock();
  assert.equal(await peer.nextLine(), 'released');
  await peer.succeeded();
});

test('an aborted lock() rejects with the reason and holds nothing', { skip }, async (t) => {
  const path = join(scratchDir(t), 'app.lock');
  const holder = new FileLock(path);
  await holder.lock();
  const waiter = new FileLock(path);
  const controller = new AbortController();
  const waiting = waiter.lock({ signal: controller.signal });
  setTimeout(() => controller.abort(new Error('no longer needed')), 20);
  await assert.rejects(waiting, /no longer needed/);
  assert.equal(waiter.held, false);
  holder.unlock();
  const other = new FileLock(path);
  assert.equal(other.tryLock(), true, 'the aborted wait did not take the lock once it was free');
  other.unlock();
  await assert.rejects(waiter.lock({ signal: controller.signal }), /no longer needed/);
});

test('two FileLocks on one path in one process exclude each other, and so do two lock() calls of one FileLock', { skip }, async (t) => {
  const path = join(scratchDir(t), 'app.lock');
  const first = new FileLock(path);
  const second = new FileLock(path);
  await first.lock();
  assert.equal(second.tryLock(), false);
  assert.equal(first.tryLock(), false);
  const order: string[] = [];
  const again = first.lock().then(() => order.push('second lock() of first'));
  setTimeout(() => {
    order.push('unlocked');
    first.unlock();
  }, 20);
  await again;
  assert.deepEqual(order, ['unlocked', 'second lock() of first']);
  assert.equal(first.held, true);
  first.unlock();
  assert.equal(first.held, false);
});

test('hold() releases at the end of the block, and times out with TimeoutError', { skip }, async (t) => {
  const path = join(scratchDir(t), 'app.lock');
  const lock = new FileLock(path);
  const other = new FileLock(path);
  {
    await using _ = await lock.hold();
    assert.equal(other.tryLock(), false);
    await assert.rejects(other.hold({ timeout: 30 }), TimeoutError);
  }
  assert.equal(lock.held, false);
  {
    using _shared = await lock.hold({ shared: true });
    assert.equal(other.tryLock({ shared: true }), true);
    other.unlock();
  }
  assert.equal(other.tryLock(), true);
  other.unlock();
});

test('a hold() released early by unlock() does not release a newer lock when it is disposed', { skip }, async (t) => {
  const path = join(scratchDir(t), 'app.lock');
  const lock = new FileLock(path);
  const other = new FileLock(path);
  const early = await lock.hold();
  lock.unlock();
  await lock.lock(); // its descriptor is likely the number the hold had
  await early[Symbol.asyncDispose]();
  assert.equal(lock.held, true);
  assert.equal(other.tryLock(), false);
  lock.unlock();
});

test('a FileLock passed to a multiproc child locks the same file there', { skip }, async (t) => {
  const lock = new FileLock(join(scratchDir(t), 'app.lock'));
  await using pool = new Pool(1);
  await lock.lock();
  assert.equal(await pool.apply(tryFileLock, [lock]), false);
  lock.unlock();
  assert.equal(await pool.apply(tryFileLock, [lock]), true);
});

test('a holder killed with SIGKILL releases its lock (the kernel closes its files)', { skip }, async (t) => {
  const path = join(scratchDir(t), 'app.lock');
  const peer = startNode(t, `import { FileLock } from 'multiproc/ipc'; await new FileLock(process.argv[1]).lock(); console.log('held'); setInterval(() => {}, 1000);`, [path]);
  assert.equal(await peer.nextLine(), 'held');
  const lock = new FileLock(path);
  assert.equal(lock.tryLock(), false);
  const waiting = lock.lock();
  await peer.kill();
  await waiting;
  lock.unlock();
});

test('the lock file is created owner-only, and a file this user may only read can be locked', { skip }, async (t) => {
  const dir = scratchDir(t);
  const path = join(dir, 'new.lock');
  const lock = new FileLock(path);
  assert.equal(lock.tryLock(), true);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  lock.unlock();
  const readOnly = join(dir, 'read-only.lock');
  writeFileSync(readOnly, '');
  chmodSync(readOnly, 0o400);
  const other = new FileLock(readOnly);
  await other.lock();
  other.unlock();
  const withMode = join(dir, 'mode.lock');
  const moded = new FileLock(withMode, { mode: 0o644 });
  assert.equal(moded.tryLock(), true);
  moded.unlock();
  assert.equal(statSync(withMode).mode & 0o777, 0o644 & ~process.umask());
});

test('misuse and bad arguments fail clearly: unlock without a lock, bad paths and options, a non-regular file', { skip }, async (t) => {
  const dir = scratchDir(t);
  const lock = new FileLock(join(dir, 'app.lock'));
  assert.throws(() => lock.unlock(), (error: Error) => error instanceof InvalidStateError && /not locked by this FileLock/.test(error.message));
  assert.throws(() => new FileLock(42 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => new FileLock(''), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => new FileLock('x', { mode: -1 }), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(lock.lock({ shared: 'yes' as unknown as boolean }), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(lock.lock({ timeout: -1 }), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(lock.lock({ signal: 'stop' as unknown as AbortSignal }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => lock.tryLock('shared' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(new FileLock(join(dir, 'missing-dir', 'app.lock')).lock(), { code: 'ENOENT' });
  await assert.rejects(new FileLock('/dev/null').lock(), { code: 'ERR_INVALID_ARG_VALUE', message: /a regular file/ });
  assert.equal(lock.held, false);
});

test('locking, timing out and unlocking leave no descriptor open', { skip }, async (t) => {
  const path = join(scratchDir(t), 'app.lock');
  const holder = new FileLock(path);
  const other = new FileLock(path);
  const before = openFdCount();
  for (let round = 0; round < 10; round++) {
    await holder.lock();
    assert.equal(other.tryLock(), false);
    await assert.rejects(other.lock({ timeout: 1 }), TimeoutError);
    holder.unlock();
    using _ = await other.hold();
  }
  await assert.rejects(new FileLock('/dev/null').lock());
  assert.equal(openFdCount(), before);
});
