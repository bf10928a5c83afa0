// mkfifo() and openFifo(): named pipes between unrelated programs (a plain node process, a
// Python program), opens that wait off the event loop, with timeouts and aborts that leave
// nothing open.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { test } from 'node:test';
import { Process, TimeoutError } from 'multiproc';
import { mkfifo, openFifo, type PipeWritable } from 'multiproc/ipc';
import { loadNative } from '../../src/native/loader.ts';
import { exitCodeOf, readAll } from '../helpers/processes.ts';
import { scratchDir } from '../helpers/scratch-dir.ts';
import { writeText } from '../fixtures/stream-tasks.ts';

const skip = loadNative() ? false : 'the native addon is not built here';
const hasPython = spawnSync('python3', ['-c', 'pass']).status === 0;
const skipPython = skip || (hasPython ? false : 'python3 is not installed');

/** How many descriptors of this process lead to `path`. */
function descriptorsTo(path: string): number {
  return readdirSync('/proc/self/fd').filter((entry) => {
    try {
      return readlinkSync(`/proc/self/fd/${entry}`) === path;
    } catch {
      return false;
    }
  }).length;
}

function patternBytes(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 13 + 5) & 0xff;
  return bytes;
}

test('mkfifo creates an owner-only FIFO by default, or with the mode given', { skip }, async (t) => {
  const directory = scratchDir(t);
  await mkfifo(join(directory, 'default'));
  const stat = statSync(join(directory, 'default'));
  assert.equal(stat.isFIFO(), true);
  assert.equal(stat.mode & 0o777, 0o600);
  await mkfifo(join(directory, 'private'), { mode: 0o400 });
  assert.equal(statSync(join(directory, 'private')).mode & 0o777, 0o400);
});

test('a plain node process writes through openFifo and this one reads exactly its bytes, then EOF', { skip }, async (t) => {
  const path = join(scratchDir(t), 'jobs');
  await mkfifo(path);
  const program = `
    import { openFifo } from 'multiproc/ipc';
    const bytes = Buffer.alloc(300000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 13 + 5) & 0xff;
    const writer = await openFifo(${JSON.stringify(path)}, 'w');
    writer.end(bytes);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', program], { stdio: 'inherit' });
  const exit = exitCodeOf(t, child);
  const reader = await openFifo(path, 'r');
  t.after(() => reader.destroy());
  const received = await readAll(reader);
  assert.equal(await exit, 0);
  assert.equal(received.equals(patternBytes(300000)), true);
});

test('a Python program reads a FIFO with open() and answers through another made with os.mkfifo', { skip: skipPython }, async (t) => {
  const directory = scratchDir(t);
  const request = join(directory, 'request');
  const reply = join(directory, 'reply');
  await mkfifo(request);
  const program = [
    'import os, sys',
    'request, reply = sys.argv[1], sys.argv[2]',
    'os.mkfifo(reply, 0o600)',
    'with open(request, "rb") as r:',
    '    data = r.read()',
    'with open(reply, "wb") as w:',
    '    w.write(data.upper())',
  ].join('\n');
  const child = spawn('python3', ['-c', program, request, reply], { stdio: 'inherit' });
  const exit = exitCodeOf(t, child);
  const writer = await openFifo(request, 'w');
  writer.end('bytes through a fifo \u00e9');
  // The reply FIFO exists once Python made it; opening it waits for Python to open its side.
  let replyReader: Readable | undefined;
  while (replyReader === undefined) {
    try {
      replyReader = await openFifo(reply, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  t.after(() => replyReader?.destroy());
  // bytes.upper() leaves the two bytes of the é alone: what came back is exactly what Python wrote.
  assert.equal((await readAll(replyReader)).toString(), 'BYTES THROUGH A FIFO \u00e9');
  assert.equal(await exit, 0);
});

test('openFifo rejects with TimeoutError when nobody opens the other side, and leaves nothing open', { skip }, async (t) => {
  const path = join(scratchDir(t), 'lonely');
  await mkfifo(path);
  await assert.rejects(openFifo(path, 'r', { timeout: 30 }), (error: Error) => error instanceof TimeoutError && error.message.includes(JSON.stringify(path)));
  await assert.rejects(openFifo(path, 'w', { timeout: 0 }), TimeoutError);
  assert.equal(descriptorsTo(path), 0);
});

test('an aborted openFifo rejects with the signal\'s reason, and leaves nothing open', { skip }, async (t) => {
  const path = join(scratchDir(t), 'aborted');
  await mkfifo(path);
  const controller = new AbortController();
  const opening = openFifo(path, 'w', { signal: controller.signal });
  setTimeout(() => controller.abort(new Error('no longer needed')), 10);
  await assert.rejects(opening, { message: 'no longer needed' });
  await assert.rejects(openFifo(path, 'r', { signal: AbortSignal.abort() }), { name: 'AbortError' });
  assert.equal(descriptorsTo(path), 0);
});

test('a timer fires while openFifo waits, and its callback opens the other side', { skip }, async (t) => {
  const path = join(scratchDir(t), 'timer');
  await mkfifo(path);
  const reading = openFifo(path, 'r');
  // Could not run if the open blocked the event loop.
  const writing = new Promise<PipeWritable>((resolve, reject) => {
    setTimeout(() => openFifo(path, 'w').then(resolve, reject), 20);
  });
  const [reader, writer] = await Promise.all([reading, writing]);
  t.after(() => {
    reader.destroy();
    writer.destroy();
  });
  writer.end('after the timer');
  assert.equal((await readAll(reader)).toString(), 'after the timer');
});

test('a FIFO end given to a multiproc Process is written there', { skip }, async (t) => {
  const path = join(scratchDir(t), 'to-process');
  await mkfifo(path);
  const [reader, writer] = await Promise.all([openFifo(path, 'r'), openFifo(path, 'w')]);
  const child = new Process({ target: writeText, args: [writer, 'from a Process, through a FIFO'] });
  t.after(async () => {
    reader.destroy();
    writer.destroy();
    if (child.exitCode === null) child.kill();
    await child.join();
  });
  child.start();
  writer.destroy();
  assert.equal((await readAll(reader)).toString(), 'from a Process, through a FIFO');
  await child.join();
  assert.equal(child.exitCode, 0);
});

test('bad arguments and paths: types, modes, an existing path, a regular file, a missing directory', { skip }, async (t) => {
  const directory = scratchDir(t);
  const file = join(directory, 'regular');
  writeFileSync(file, 'not a fifo');
  await assert.rejects(mkfifo(42 as never), { code: 'ERR_INVALID_ARG_TYPE', message: /mkfifo: "path"/ });
  await assert.rejects(mkfifo(''), { code: 'ERR_INVALID_ARG_VALUE' });
  await assert.rejects(mkfifo(join(directory, 'x'), { mode: 0o1000 }), { code: 'ERR_OUT_OF_RANGE', message: /"mode"/ });
  await assert.rejects(mkfifo(join(directory, 'x'), { mode: '600' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(mkfifo(file), { code: 'EEXIST', syscall: 'mkfifo', message: `mkfifo(${JSON.stringify(file)}) failed: EEXIST (file exists)` });
  await assert.rejects(mkfifo(join(directory, 'no', 'such')), { code: 'ENOENT', message: /no\/such/ });
  await assert.rejects(openFifo(file, 'r'), { code: 'ERR_INVALID_ARG_VALUE', message: /It is a regular file; make a FIFO with mkfifo/ });
  await assert.rejects(openFifo(directory, 'r'), { code: 'ERR_INVALID_ARG_VALUE', message: /a directory/ });
  await assert.rejects(openFifo(join(directory, 'missing'), 'r'), { code: 'ENOENT', message: /missing/ });
  await assert.rejects(openFifo(file, 'rw' as never), { code: 'ERR_INVALID_ARG_VALUE', message: /"mode"/ });
  await assert.rejects(openFifo(file, 'r', { timeout: -1 }), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(openFifo(file, 'r', { signal: 'stop' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.equal(descriptorsTo(file), 0);
});
