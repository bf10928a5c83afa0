// lockRange: byte-range locks that exclude Python's fcntl.lockf on overlapping ranges and not on
// disjoint ones, both ways; waits released from a timer, timeouts and aborts holding nothing; the
// open-file-description semantics within one process; validation.
import assert from 'node:assert/strict';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { TimeoutError } from 'multiproc';
import { lockRange } from 'multiproc/ipc';
import { pythonMissing, startPython } from '../helpers/peers.ts';
import { scratchDir } from '../helpers/scratch-dir.ts';
import { loadNative } from '../../src/native/loader.ts';

const skip = loadNative() ? false : 'the native addon is not built here';
const skipPython = skip || pythonMissing('python3', 'mmap, fcntl') || false;

/**
 * Python's `fcntl.lockf` on `open(path, 'r+')`, driven by lines "<command> <offset> <length>":
 * "ex"/"sh" wait and answer "held"; "try-ex"/"try-sh" answer "held" or "busy"; "un" answers "released".
 */
const PYTHON_LOCKF = `import fcntl, sys
f = open(sys.argv[1], 'r+')
kinds = {'ex': fcntl.LOCK_EX, 'sh': fcntl.LOCK_SH}
print('ready')
for line in sys.stdin:
    command, offset, length = line.split()
    offset, length = int(offset), int(length)
    if command == 'un':
        fcntl.lockf(f, fcntl.LOCK_UN, length, offset); print('released')
    elif command.startswith('try-'):
        try:
            fcntl.lockf(f, kinds[command[4:]] | fcntl.LOCK_NB, length, offset); print('held')
        except OSError:
            print('busy')
    else:
        fcntl.lockf(f, kinds[command], length, offset); print('held')`;

async function pythonLockf(t: TestContext, path: string) {
  const peer = startPython(t, PYTHON_LOCKF, [path]);
  assert.equal(await peer.nextLine(), 'ready');
  return {
    peer,
    async ask(command: string, offset: number, length: number): Promise<string> {
      peer.send(`${command} ${offset} ${length}`);
      return peer.nextLine();
    },
  };
}

async function scratchFile(t: TestContext) {
  const path = join(scratchDir(t), 'data.bin');
  writeFileSync(path, Buffer.alloc(1000));
  const file = await open(path, 'r+');
  t.after(() => file.close());
  return { path, file };
}

test("a range held by Python's lockf blocks overlapping ranges here (timeout) and not disjoint ones", { skip: skipPython }, async (t) => {
  const { path, file } = await scratchFile(t);
  const python = await pythonLockf(t, path);
  assert.equal(await python.ask('ex', 0, 10), 'held');
  await assert.rejects(lockRange(file, 5, 10, { timeout: 50 }), (error: Error) => error instanceof TimeoutError && /lockRange\(fd \d+, 5, 10\): not done within 50 ms/.test(error.message));
  await assert.rejects(lockRange(file, 9, 1, { shared: true, timeout: 0 }), TimeoutError);
  const disjoint = await lockRange(file, 10, 10);
  disjoint.unlock();
  assert.equal(await python.ask('un', 0, 10), 'released');
  // The timed-out waits took nothing later: Python locks the whole range again at once.
  assert.equal(await python.ask('try-ex', 0, 20), 'held');
});

test('a range held here blocks Python on overlapping ranges and not on disjoint ones; shared ranges coexist', { skip: skipPython }, async (t) => {
  const { path, file } = await scratchFile(t);
  const python = await pythonLockf(t, path);
  const exclusive = await lockRange(file, 100, 50);
  assert.equal(await python.ask('try-ex', 120, 100), 'busy');
  assert.equal(await python.ask('try-sh', 149, 1), 'busy');
  assert.equal(await python.ask('try-ex', 150, 10), 'held');
  assert.equal(await python.ask('try-ex', 0, 100), 'held');
  exclusive.unlock();
  assert.equal(await python.ask('try-ex', 100, 50), 'held');
  assert.equal(await python.ask('un', 0, 0), 'released');
  const shared = await lockRange(file, 0, 10, { shared: true });
  assert.equal(await python.ask('try-sh', 0, 10), 'held');
  assert.equal(await python.ask('un', 0, 10), 'released');
  assert.equal(await python.ask('try-ex', 0, 10), 'busy');
  shared.unlock();
  assert.equal(await python.ask('try-ex', 0, 10), 'held');
});

test('length 0 locks from the offset to the end of the file and beyond', { skip: skipPython }, async (t) => {
  const { path, file } = await scratchFile(t);
  const python = await pythonLockf(t, path);
  using _ = await lockRange(file, 500, 0);
  assert.equal(await python.ask('try-ex', 10_000_000, 1), 'busy');
  assert.equal(await python.ask('try-ex', 0, 500), 'held');
});

test('a wait for a range is released from a setTimeout callback: the event loop runs while it waits', { skip: skipPython }, async (t) => {
  const { path, file } = await scratchFile(t);
  const python = await pythonLockf(t, path);
  assert.equal(await python.ask('ex', 0, 100), 'held');
  let timerRan = false;
  setTimeout(() => {
    timerRan = true;
    python.peer.send('un 0 100'); // could not run if lockRange blocked the event loop
  }, 20);
  const range = await lockRange(file, 50, 10, { timeout: 60_000 });
  assert.ok(timerRan);
  assert.equal(await python.peer.nextLine(), 'released');
  assert.equal(await python.ask('try-ex', 55, 1), 'busy');
  range.unlock();
});

test('an aborted wait rejects with the reason and holds nothing', { skip }, async (t) => {
  const { path, file } = await scratchFile(t);
  const other = openSync(path, 'r+');
  t.after(() => closeSync(other));
  const held = await lockRange(other, 0, 10);
  const controller = new AbortController();
  const waiting = lockRange(file, 0, 10, { signal: controller.signal });
  setTimeout(() => controller.abort(new Error('no longer needed')), 20);
  await assert.rejects(waiting, /no longer needed/);
  held.unlock();
  const again = await lockRange(other, 0, 10, { timeout: 0 });
  again.unlock();
  await assert.rejects(lockRange(file, 0, 10, { signal: controller.signal }), /no longer needed/);
});

test('in one process, two fds opened separately conflict, and two ranges through one fd never do', { skip }, async (t) => {
  const { path, file } = await scratchFile(t);
  const first = await lockRange(file, 0, 10);
  const same = await lockRange(file.fd, 5, 10, { timeout: 0 });
  const other = openSync(path, 'r+');
  t.after(() => closeSync(other));
  await assert.rejects(lockRange(other, 0, 1, { timeout: 0 }), TimeoutError);
  same.unlock();
  first.unlock();
  const now = await lockRange(other, 0, 15, { timeout: 0 });
  now.unlock();
});

test('unlock is idempotent, disposing unlocks, and closing the fd releases its ranges', { skip }, async (t) => {
  const { path } = await scratchFile(t);
  const other = openSync(path, 'r+');
  t.after(() => closeSync(other));
  const fd = openSync(path, 'r+');
  const range = await lockRange(fd, 0, 10);
  range.unlock();
  range.unlock();
  {
    using _ = await lockRange(fd, 0, 10);
    await assert.rejects(lockRange(other, 0, 10, { timeout: 0 }), TimeoutError);
  }
  (await lockRange(other, 0, 10, { timeout: 0 })).unlock();
  const dropped = await lockRange(fd, 0, 10);
  closeSync(fd);
  (await lockRange(other, 0, 10, { timeout: 0 })).unlock();
  dropped.unlock(); // the fd is gone: nothing to do, no error
  assert.deepEqual({ offset: dropped.offset, length: dropped.length, shared: dropped.shared }, { offset: 0, length: 10, shared: false });
});

test('bad arguments reject with TypeError or RangeError naming the argument; a read-only fd says what an exclusive lock needs', { skip }, async (t) => {
  const { path, file } = await scratchFile(t);
  const cases: Array<[unknown, unknown, unknown, unknown, string]> = [
    ['3', 0, 1, undefined, 'ERR_INVALID_ARG_TYPE'],
    [-1, 0, 1, undefined, 'ERR_OUT_OF_RANGE'],
    [1.5, 0, 1, undefined, 'ERR_OUT_OF_RANGE'],
    [2 ** 31, 0, 1, undefined, 'ERR_OUT_OF_RANGE'],
    [file, -1, 1, undefined, 'ERR_OUT_OF_RANGE'],
    [file, 2 ** 53, 1, undefined, 'ERR_OUT_OF_RANGE'],
    [file, 0, '1', undefined, 'ERR_INVALID_ARG_TYPE'],
    [file, 0, 1, 'shared', 'ERR_INVALID_ARG_TYPE'],
    [file, 0, 1, { shared: 1 }, 'ERR_INVALID_ARG_TYPE'],
    [file, 0, 1, { timeout: -5 }, 'ERR_OUT_OF_RANGE'],
  ];
  for (const [fd, offset, length, options, code] of cases) {
    await assert.rejects(lockRange(fd as number, offset as number, length as number, options as object), { code }, `${String(fd)} ${offset} ${length}`);
  }
  const readOnly = openSync(path, 'r');
  t.after(() => closeSync(readOnly));
  await assert.rejects(lockRange(readOnly, 0, 1), { code: 'EBADF', message: /must be open for writing/ });
  (await lockRange(readOnly, 0, 1, { shared: true })).unlock();
  const closed = await open(path, 'r');
  await closed.close();
  await assert.rejects(lockRange(closed, 0, 1), { code: 'ERR_OUT_OF_RANGE', message: /FileHandle was closed/ });
});
