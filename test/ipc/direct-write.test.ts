// Writes to pipe ends and socket Connections go straight to the descriptor when the kernel takes
// them whole, and through the stream's own path otherwise (no room, part of a write taken, an
// error): bytes keep their order either way, and backpressure, 'drain', EPIPE and bytesWritten
// are the stream's as before. Also the socket transport's waits (one shared wait per end).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { wait } from 'multiproc';
import { pipe, socketPair } from 'multiproc/ipc';
import { loadNative } from '../../src/native/loader.ts';
import { readAll } from '../helpers/processes.ts';

const skip = loadNative() ? false : 'the native addon is not built here';

function patternBytes(length: number, seed = 0): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + 7 + seed) & 0xff;
  return bytes;
}

test('a small write the pipe has room for is done at once: its callback runs and the reader gets it', { skip }, async (t) => {
  const [readable, writable] = pipe();
  t.after(() => {
    readable.destroy();
    writable.destroy();
  });
  const data = patternBytes(64);
  const written = new Promise<Error | null | undefined>((resolve) => writable.write(data, resolve));
  assert.equal(writable.writableLength, 0);
  assert.equal((await written) ?? undefined, undefined);
  const received = readAll(readable);
  writable.end();
  assert.equal((await received).equals(data), true);
});

test('writes that find the pipe full wait in order behind the part the kernel took, and corked writes go out together', { skip }, async (t) => {
  const [readable, writable] = pipe();
  t.after(() => {
    readable.destroy();
    writable.destroy();
  });
  // Nobody reads yet: the first write is taken in part (the pipe holds 64 KiB), the next ones meet a full pipe.
  const parts = [patternBytes(100_000, 1), patternBytes(64, 2), patternBytes(3000, 3)];
  for (const part of parts) writable.write(part);
  writable.cork();
  const corked = [patternBytes(10, 4), patternBytes(20, 5), patternBytes(70_000, 6)];
  for (const part of corked) writable.write(part);
  writable.uncork();
  const received = readAll(readable);
  await new Promise<void>((resolve) => writable.end(resolve));
  const expected = Buffer.concat([...parts, ...corked]);
  assert.equal((await received).equals(expected), true);
});

test('corked writes the pipe has room for go out as one and the stream finishes', { skip }, async (t) => {
  const [readable, writable] = pipe();
  t.after(() => {
    readable.destroy();
    writable.destroy();
  });
  const received = readAll(readable);
  writable.cork();
  const parts = Array.from({ length: 50 }, (_, index) => patternBytes(64, index));
  for (const part of parts) writable.write(part);
  writable.uncork();
  writable.end();
  await once(writable, 'finish');
  assert.equal((await received).equals(Buffer.concat(parts)), true);
});

test('a Buffer written after the reader closed gets the EPIPE error, as a string does', { skip }, async (t) => {
  const [readable, writable] = pipe();
  t.after(() => writable.destroy());
  readable.destroy();
  await once(readable, 'close');
  writable.write(Buffer.from('nobody reads this'));
  const [error] = (await once(writable, 'error')) as [NodeJS.ErrnoException];
  assert.equal(error.code, 'EPIPE');
  assert.equal(error.syscall, 'write');
});

test('a socket pair carries a message larger than the socket buffer, and the small ones around it, in order', { skip }, async (t) => {
  const [left, right] = socketPair();
  t.after(() => {
    left.close();
    right.close();
  });
  const large = patternBytes(3 << 20, 9);
  left.sendBytes(Buffer.from('before'));
  left.sendBytes(large);
  for (let index = 0; index < 100; index++) left.send(index);
  assert.equal(Buffer.from(await right.recvBytes()).toString(), 'before');
  assert.equal(Buffer.from(await right.recvBytes()).equals(large), true);
  for (let index = 0; index < 100; index++) assert.equal(await right.recv(), index);
});

test('a message that arrives while recv waits resolves it, and waits with and without a timeout share the wait', { skip }, async (t) => {
  const [left, right] = socketPair();
  t.after(() => {
    left.close();
    right.close();
  });
  const polled = right.poll(60_000);
  const polledBriefly = right.poll(30_000);
  const waited = wait([right], 60_000);
  setTimeout(() => left.send('hello'), 10);
  assert.equal(await polled, true);
  assert.equal(await polledBriefly, true);
  assert.deepEqual(await waited, [right]);
  assert.equal(await right.recv(), 'hello');
  const pending = right.recv();
  setTimeout(() => left.send('while waiting'), 10);
  assert.equal(await pending, 'while waiting');
  // Nothing else came: a short poll times out, and a later message is still received.
  assert.equal(await right.poll(20), false);
  assert.deepEqual(await wait([right], 20), []);
  left.send('again');
  assert.equal(await right.recv(), 'again');
});

test('an aborted recv on a socket pair takes nothing, and the next recv gets the message', { skip }, async (t) => {
  const [left, right] = socketPair();
  t.after(() => {
    left.close();
    right.close();
  });
  const controller = new AbortController();
  const aborted = right.recv({ signal: controller.signal });
  setTimeout(() => controller.abort(new Error('stop waiting')), 10);
  await assert.rejects(aborted, /stop waiting/);
  left.send('kept');
  assert.equal(await right.recv(), 'kept');
});

test('closing the other end while recv waits ends the wait with EOFError', { skip }, async (t) => {
  const [left, right] = socketPair();
  t.after(() => right.close());
  const pending = right.recv();
  setTimeout(() => left.close(), 10);
  await assert.rejects(pending, { name: 'EOFError' });
});
