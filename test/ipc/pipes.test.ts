// pipe(): an unnamed pipe as two node:streams, between this process and a plain child (node or
// Python, given an end in its stdio), and with multiproc children (an end as an argument).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readlinkSync } from 'node:fs';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { test } from 'node:test';
import { InvalidStateError, Pool, Process } from 'multiproc';
import { pipe } from 'multiproc/ipc';
import { encodeValue, decodeValue } from '../../dist/tasks/codec.js';
import { loadNative } from '../../src/native/loader.ts';
import { exitCodeOf, readAll } from '../helpers/processes.ts';
import { readText, writeText, writeThenHang } from '../fixtures/stream-tasks.ts';

const skip = loadNative() ? false : 'the native addon is not built here';
const hasPython = spawnSync('python3', ['-c', 'pass']).status === 0;
const skipPython = skip || (hasPython ? false : 'python3 is not installed');

function patternBytes(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

test('bytes written to the writable come out of the readable in order, with backpressure, then the stream ends', { skip }, async (t) => {
  const [readable, writable] = pipe();
  t.after(() => {
    readable.destroy();
    writable.destroy();
  });
  const data = patternBytes(1 << 20);
  // A megabyte does not fit in the kernel's pipe buffer: write() says so, and 'drain' comes as the reader reads.
  assert.equal(writable.write(data), false);
  const received = readAll(readable);
  await once(writable, 'drain');
  writable.end();
  assert.equal((await received).equals(data), true);
});

test('a writer whose reader closed gets an EPIPE error', { skip }, async (t) => {
  const [readable, writable] = pipe();
  t.after(() => writable.destroy());
  readable.destroy();
  await once(readable, 'close');
  writable.write('nobody reads this');
  const [error] = (await once(writable, 'error')) as [NodeJS.ErrnoException];
  assert.equal(error.code, 'EPIPE');
});

test('a plain node child writes into the end given in its stdio, and the parent reads exactly its bytes, then EOF', { skip }, async (t) => {
  const [readable, writable] = pipe();
  t.after(() => readable.destroy());
  const program = "import { writeSync } from 'node:fs'; const bytes = Buffer.alloc(70000); for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff; let at = 0; while (at < bytes.length) at += writeSync(3, bytes, at);";
  const child = spawn(process.execPath, ['--input-type=module', '-e', program], { stdio: ['ignore', 'inherit', 'inherit', writable] });
  const exit = exitCodeOf(t, child);
  writable.destroy(); // the child holds the writing end now: its exit ends the stream
  const received = await readAll(readable);
  assert.equal(await exit, 0);
  assert.equal(received.equals(patternBytes(70000)), true);
});

test('a Python child reads a pipe with os.fdopen(3) and writes back through another, byte for byte', { skip: skipPython }, async (t) => {
  const [fromParent, toChild] = pipe();
  const [fromChild, toParent] = pipe();
  t.after(() => {
    for (const stream of [toChild, fromParent, fromChild, toParent]) stream.destroy();
  });
  // Python's blocking reads work: the child's descriptors are blocking, whatever the parent's stream does.
  const program = 'import os\nwith os.fdopen(3, "rb") as r, os.fdopen(4, "wb") as w:\n    data = r.read()\n    w.write(bytes(reversed(data)))\n';
  const child = spawn('python3', ['-c', program], { stdio: ['ignore', 'inherit', 'inherit', fromParent, toParent] });
  const exit = exitCodeOf(t, child);
  fromParent.destroy();
  toParent.destroy();
  const data = patternBytes(200_000);
  toChild.end(data);
  const received = await readAll(fromChild);
  assert.equal(await exit, 0);
  assert.equal(received.equals(Buffer.from(data).reverse()), true);
});

test('an end given to a multiproc Process as an argument is written there, and the parent may close its copy right after start()', { skip }, async (t) => {
  const [readable, writable] = pipe();
  const child = new Process({ target: writeText, args: [writable, 'written by a Process'] });
  t.after(async () => {
    readable.destroy();
    writable.destroy();
    if (child.exitCode === null) child.kill();
    await child.join();
  });
  child.start();
  writable.destroy(); // as with os.pipe and Popen: the child has its own copy
  assert.equal((await readAll(readable)).toString(), 'written by a Process');
  await child.join();
  assert.equal(child.exitCode, 0);
});

test('an end given to a Process of the thread context is written there', { skip }, async (t) => {
  const [readable, writable] = pipe();
  const child = new Process({ target: writeText, args: [writable, 'written by a thread'], context: 'thread' });
  t.after(async () => {
    readable.destroy();
    writable.destroy();
    await child.join();
  });
  child.start();
  writable.destroy();
  assert.equal((await readAll(readable)).toString(), 'written by a thread');
});

test('the reader sees the end of the stream when the Process holding the writer is SIGKILLed', { skip }, async (t) => {
  const [readable, writable] = pipe();
  const child = new Process({ target: writeThenHang, args: [writable, 'last words'] });
  t.after(async () => {
    readable.destroy();
    writable.destroy();
    if (child.exitCode === null) child.kill();
    await child.join();
  });
  child.start();
  writable.destroy();
  const received = readAll(readable);
  readable.once('data', () => child.kill()); // SIGKILL, once the child has written
  assert.equal((await received).toString(), 'last words');
  await child.join();
  assert.equal(child.exitCode, -9);
});

test('an end given to a pool task is read there while the parent writes', { skip }, async (t) => {
  const [readable, writable] = pipe();
  const pool = new Pool({ processes: 1 });
  t.after(async () => {
    readable.destroy();
    writable.destroy();
    await pool.terminate();
  });
  const result = pool.apply(readText, [readable]);
  writable.end('read by a pool worker');
  assert.equal(await result, 'read by a pool worker');
});

test('a pipe end cannot be sent once closed, nor over a socket to a peer', { skip }, async () => {
  const [readable, writable] = pipe();
  writable.destroy();
  await once(writable, 'close');
  assert.equal(writable.fd, -1);
  assert.throws(() => encodeValue([writable], 'args', 'process'), { name: 'TypeError', message: /closed pipe end/ });
  assert.throws(() => encodeValue([readable], 'obj', 'peer'), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
  readable.destroy();
});

test('a forged pipe-end record is refused: a descriptor that is no pipe, another pipe, a pid that is gone, bad fields', { skip }, async (t) => {
  const [readable, writable] = pipe();
  const [other] = pipe();
  const file = openSync('/proc/self/stat', 'r');
  t.after(() => {
    for (const stream of [readable, writable, other]) stream.destroy();
    closeSync(file);
  });
  const encoded = encodeValue(readable, 'value', 'process').value as { data: Record<string, unknown> };
  const forge = (changes: Record<string, unknown>) => ({ ...encoded, data: { ...encoded.data, ...changes } });
  const refusals: Array<[Record<string, unknown>, RegExp]> = [
    [{ fd: file }, /is not a pipe/],
    [{ fd: other.fd }, /no longer leads to the pipe it sent/],
    [{ startTime: '1' }, /is gone/],
    [{ pid: -1 }, /"pid"/],
    [{ fd: 1.5 }, /"fd"/],
    [{ inode: '../x' }, /"inode"/],
    [{ isWritable: 'yes' }, /"isWritable"/],
  ];
  for (const [changes, message] of refusals) {
    assert.throws(() => decodeValue(forge(changes), true), (error: Error) => error instanceof InvalidStateError && message.test(error.message), JSON.stringify(changes));
  }
  // The genuine record still opens the same pipe.
  const copy = decodeValue(encoded, true) as Readable;
  writable.end('through a decoded copy');
  assert.equal((await readAll(copy)).toString(), 'through a decoded copy');
});

/** Descriptors of this process that lead to the pipe or file that `fd` leads to now. */
function descriptorsOf(fd: number): () => string[] {
  const target = readlinkSync(`/proc/self/fd/${fd}`);
  return () =>
    readdirSync('/proc/self/fd').filter((entry) => {
      try {
        return readlinkSync(`/proc/self/fd/${entry}`) === target;
      } catch {
        return false; // closed meanwhile
      }
    });
}

test('pipe() leaves no descriptor of the pipe open once both ends are closed', { skip }, async () => {
  const [readable, writable] = pipe();
  const openOnes = descriptorsOf(readable.fd);
  assert.equal(openOnes().length, 4); // each end: the stream's own and the one for children
  writable.end('x');
  await readAll(readable);
  await Promise.all([readable, writable].map((stream) => (stream.closed ? null : once(stream, 'close'))));
  assert.deepEqual(openOnes(), []);
});
