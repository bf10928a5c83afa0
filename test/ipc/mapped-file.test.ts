// MappedFile: a file's bytes mapped into memory, shared with unrelated processes (a plain node
// program, Python's mmap) and with multiproc's children, guarded against truncation by others.
import assert from 'node:assert/strict';
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidStateError, Process } from 'multiproc';
import { MappedFile } from 'multiproc/ipc';
import { addInMapped, writeToMapped } from '../fixtures/file-ipc-tasks.ts';
import { pythonMissing, startNode, startPython } from '../helpers/peers.ts';
import { openFdCount, scratchDir } from '../helpers/scratch-dir.ts';
import { loadNative } from '../../src/native/loader.ts';

const skip = loadNative() ? false : 'the native addon is not built here';
const skipPython = skip || pythonMissing('python3', 'mmap, fcntl') || false;

test('a shared mapped file written here is read by a plain node program that maps it by path, and the reverse', { skip }, async (t) => {
  const path = join(scratchDir(t), 'data.bin');
  await using file = await MappedFile.open(path, { size: 4096 });
  file.buf.write('written by the parent', 0);
  const peer = startNode(
    t,
    `import { MappedFile } from 'multiproc/ipc';
     const file = await MappedFile.open(process.argv[1]);
     console.log(file.size + ' ' + file.buf.toString('utf8', 0, 21));
     file.buf.write('answer from the peer', 100);
     console.log('written');
     file.close();`,
    [path],
  );
  assert.equal(await peer.nextLine(), '4096 written by the parent');
  assert.equal(await peer.nextLine(), 'written');
  assert.equal(file.buf.toString('utf8', 100, 120), 'answer from the peer');
  await peer.succeeded();
});

test("Python's mmap reads what a shared mapping wrote, and its writes are seen here without a copy", { skip: skipPython }, async (t) => {
  const path = join(scratchDir(t), 'data.bin');
  await using file = await MappedFile.open(path, { size: 8192 });
  file.buf.write('hello, python', 4096);
  const peer = startPython(
    t,
    `import mmap, sys
with open(sys.argv[1], 'r+b') as f:
    m = mmap.mmap(f.fileno(), 0)
    print(len(m), m[4096:4109].decode())
    m[0:15] = b'hello from mmap'
    print('written')
    m.close()`,
    [path],
  );
  assert.equal(await peer.nextLine(), '8192 hello, python');
  assert.equal(await peer.nextLine(), 'written');
  assert.equal(file.buf.toString('utf8', 0, 15), 'hello from mmap');
  await peer.succeeded();
});

test('two processes add to one counter with Atomics on a shared mapped file, and no addition is lost', { skip }, async (t) => {
  const path = join(scratchDir(t), 'counter.bin');
  await using file = await MappedFile.open(path, { size: 8 });
  assert.ok(file.buf.buffer instanceof SharedArrayBuffer);
  const words = new Int32Array(file.buf.buffer, 0, 2);
  const peer = startNode(
    t,
    `import { MappedFile } from 'multiproc/ipc';
     const file = await MappedFile.open(process.argv[1]);
     const words = new Int32Array(file.buf.buffer, 0, 2);
     Atomics.store(words, 1, 1); // started: the parent adds while this adds
     for (let turn = 0; turn < 200000; turn++) Atomics.add(words, 0, 1);
     console.log('done');`,
    [path],
  );
  while (Atomics.load(words, 1) === 0) await new Promise((resolve) => setImmediate(resolve));
  for (let turn = 0; turn < 200000; turn++) Atomics.add(words, 0, 1);
  assert.equal(await peer.nextLine(), 'done');
  assert.equal(Atomics.load(words, 0), 400000);
  await peer.succeeded();
});

test('a MappedFile passed to a multiproc child maps the same file there, shared', { skip }, async (t) => {
  const path = join(scratchDir(t), 'data.bin');
  await using file = await MappedFile.open(path, { size: 64 });
  const writer = new Process({ target: writeToMapped, args: [file, 'from the child'] });
  writer.start();
  await writer.join();
  assert.equal(writer.exitCode, 0);
  assert.equal(file.buf.toString('utf8', 0, 14), 'from the child');
  file.buf.fill(0);
  const adders = [0, 1].map(() => new Process({ target: addInMapped, args: [file, 10000] }));
  for (const adder of adders) adder.start();
  for (const adder of adders) await adder.join();
  assert.equal(Atomics.load(new Int32Array(file.buf.buffer, 0, 1), 0), 20000);
});

test('a file truncated by another process does not kill this one: the pages past the cut read as zeros', { skip }, async (t) => {
  const path = join(scratchDir(t), 'shrinking.bin');
  await using file = await MappedFile.open(path, { size: 3 * 4096 });
  file.buf.fill(7);
  const peer = startNode(t, `import { truncateSync } from 'node:fs'; truncateSync(process.argv[1], 0); console.log('truncated');`, [path]);
  assert.equal(await peer.nextLine(), 'truncated');
  await peer.succeeded();
  assert.equal(file.buf[3 * 4096 - 1], 0);
  assert.equal(file.buf[0], 0);
  file.buf[5] = 9; // writable still, it just no longer reaches the file
  assert.equal(file.buf[5], 9);
  assert.equal(statSync(path).size, 0);
});

test('a private mapping is copy-on-write: its writes never reach the file', { skip }, async (t) => {
  const path = join(scratchDir(t), 'data.bin');
  writeFileSync(path, 'original contents');
  await using file = await MappedFile.open(path, { shared: false });
  assert.ok(!(file.buf.buffer instanceof SharedArrayBuffer), 'a private mapping is an ordinary buffer');
  assert.equal(file.buf.toString(), 'original contents');
  file.buf.write('modified');
  await file.flush();
  assert.equal(file.buf.toString(), 'modified contents');
  assert.equal(readFileSync(path, 'utf8'), 'original contents');
});

test('a read-only mapping sees the file, and its writes stay in this process', { skip }, async (t) => {
  const path = join(scratchDir(t), 'data.bin');
  writeFileSync(path, 'read only');
  await using file = await MappedFile.open(path, { writable: false });
  assert.equal(file.writable, false);
  assert.equal(file.buf.toString(), 'read only');
  writeFileSync(path, 'READ ONLY'); // the file's own pages: seen through the mapping
  assert.equal(file.buf.toString(), 'READ ONLY');
  file.buf.write('r');
  assert.equal(readFileSync(path, 'utf8'), 'READ ONLY');
});

test('size creates a missing file owner-only and extends a short one; without size the whole file is mapped', { skip }, async (t) => {
  const dir = scratchDir(t);
  const created = join(dir, 'new.bin');
  await using file = await MappedFile.open(created, { size: 100 });
  assert.equal(statSync(created).size, 100);
  assert.equal(statSync(created).mode & 0o777, 0o600);
  assert.equal(file.size, 100);
  const short = join(dir, 'short.bin');
  writeFileSync(short, 'abc');
  await using extended = await MappedFile.open(short, { size: 10 });
  assert.equal(statSync(short).size, 10);
  assert.deepEqual([...extended.buf], [97, 98, 99, 0, 0, 0, 0, 0, 0, 0]);
  await using prefix = await MappedFile.open(short, { size: 2 });
  assert.equal(prefix.buf.toString(), 'ab');
  assert.equal(statSync(short).size, 10, 'a longer file is never shortened');
  await using whole = await MappedFile.open(short);
  assert.equal(whole.size, 10);
  const withMode = join(dir, 'mode.bin');
  await using _ = await MappedFile.open(withMode, { size: 1, mode: 0o640 });
  assert.equal(statSync(withMode).mode & 0o777, 0o640 & ~process.umask());
});

test('flush writes a shared mapping back to the file, and resolves at once for a private one', { skip }, async (t) => {
  const path = join(scratchDir(t), 'data.bin');
  await using file = await MappedFile.open(path, { size: 1 << 20 });
  file.buf.fill(1);
  await file.flush();
  assert.equal(readFileSync(path)[(1 << 20) - 1], 1);
  await using copy = await MappedFile.open(path, { shared: false });
  await copy.flush();
});

test('after close, buf and flush fail with InvalidStateError, a buffer kept from before reads zeros, and close is idempotent', { skip }, async (t) => {
  const path = join(scratchDir(t), 'data.bin');
  const file = await MappedFile.open(path, { size: 16 });
  file.buf.write('kept');
  const kept = file.buf;
  file.close();
  file.close();
  assert.equal(file.closed, true);
  assert.throws(() => file.buf, InvalidStateError);
  await assert.rejects(file.flush(), InvalidStateError);
  assert.equal(kept.toString('utf8', 0, 4), '\0\0\0\0');
  kept.write('lost');
  assert.equal(readFileSync(path, 'utf8').slice(0, 4), 'kept', 'the file keeps what was written before close');
});

test('what cannot be mapped is refused with a clear error, and nothing is created', { skip }, async (t) => {
  const dir = scratchDir(t);
  await assert.rejects(MappedFile.open(join(dir, 'missing.bin')), { code: 'ENOENT' });
  await assert.rejects(MappedFile.open(join(dir, 'missing.bin'), { size: 8, writable: false }), { code: 'ENOENT' });
  const empty = join(dir, 'empty.bin');
  writeFileSync(empty, '');
  await assert.rejects(MappedFile.open(empty), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /empty file cannot be mapped/ });
  writeFileSync(empty, 'abc');
  await assert.rejects(MappedFile.open(empty, { size: 8, writable: false }), { name: 'RangeError', message: /at most the size .* \(3 bytes\) for a read-only mapping/ });
  await assert.rejects(MappedFile.open(dir), { code: 'EISDIR' });
  await assert.rejects(MappedFile.open(dir, { writable: false }), { code: 'ERR_INVALID_ARG_VALUE', message: /a regular file/ });
  await assert.rejects(MappedFile.open('/dev/null', { writable: false }), { code: 'ERR_INVALID_ARG_VALUE', message: /a regular file/ });
  truncateSync(empty, 0);
  assert.equal(statSync(empty).size, 0);
});

test('bad arguments reject with TypeError or RangeError naming the argument', { skip }, async () => {
  const cases: Array<[unknown, unknown, string]> = [
    [42, undefined, 'ERR_INVALID_ARG_TYPE'],
    ['', undefined, 'ERR_INVALID_ARG_VALUE'],
    ['a\0b', undefined, 'ERR_INVALID_ARG_VALUE'],
    [new URL('http://example.com/x'), undefined, 'ERR_INVALID_ARG_VALUE'],
    ['x.bin', 'options', 'ERR_INVALID_ARG_TYPE'],
    ['x.bin', { size: 0 }, 'ERR_OUT_OF_RANGE'],
    ['x.bin', { size: 1.5 }, 'ERR_OUT_OF_RANGE'],
    ['x.bin', { size: '8' }, 'ERR_INVALID_ARG_TYPE'],
    ['x.bin', { size: 2 ** 60 }, 'ERR_OUT_OF_RANGE'],
    ['x.bin', { writable: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
    ['x.bin', { shared: 1 }, 'ERR_INVALID_ARG_TYPE'],
    ['x.bin', { size: 8, mode: 0o1000 }, 'ERR_OUT_OF_RANGE'],
  ];
  for (const [path, options, code] of cases) {
    await assert.rejects(MappedFile.open(path as string, options as object), { code }, `${String(path)} ${JSON.stringify(options)}`);
  }
});

test('opening and closing mappings leaves no descriptor open', { skip }, async (t) => {
  const path = join(scratchDir(t), 'data.bin');
  const before = openFdCount();
  for (let round = 0; round < 20; round++) {
    const file = await MappedFile.open(path, { size: 4096 });
    file.close();
    await MappedFile.open(path, { size: 1 << 30, writable: false }).catch(() => {});
  }
  assert.equal(openFdCount(), before);
});
