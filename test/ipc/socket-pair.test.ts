// socketPair(): two connected socket Connections (plain data only, Listener/Client's frames and
// limits), an end given to a plain child in its stdio and rebuilt there with connectionFromFd,
// and a Python program speaking the frames over its end.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { test } from 'node:test';
import { EOFError, InvalidStateError, Lock, Process } from 'multiproc';
import { connectionFromFd, pipe, socketPair } from 'multiproc/ipc';
import { loadNative } from '../../src/native/loader.ts';
import { exitCodeOf } from '../helpers/processes.ts';
import { writeText } from '../fixtures/stream-tasks.ts';

const skip = loadNative() ? false : 'the native addon is not built here';
const hasPython = spawnSync('python3', ['-c', 'pass']).status === 0;
const skipPython = skip || (hasPython ? false : 'python3 is not installed');

test('the two ends exchange values and bytes both ways, and a closed end gives EOFError', { skip }, async () => {
  const [a, b] = socketPair<unknown>();
  const values = [1, 'two', { three: [3n] }, new Map([[4, 'four']]), Buffer.from('five'), null];
  for (const value of values) a.send(value);
  for (const value of values) assert.deepEqual(await b.recv(), value);
  b.sendBytes(Buffer.from('raw bytes'));
  assert.equal(Buffer.from(await a.recvBytes()).toString(), 'raw bytes');
  assert.equal(a.fd >= 0, true);
  a.close();
  a.close(); // idempotent
  assert.equal(a.fd, -1);
  assert.throws(() => a.send(1), InvalidStateError);
  await assert.rejects(b.recv(), EOFError);
  b.close();
});

test('a handle cannot be sent over a socket pair, and the connection stays usable', { skip }, async (t) => {
  const [a, b] = socketPair();
  const [readable, writable] = pipe();
  t.after(() => {
    for (const end of [a, b]) end.close();
    readable.destroy();
    writable.destroy();
  });
  assert.throws(() => a.send({ lock: new Lock() }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /obj\.lock/ });
  assert.throws(() => a.send([writable]), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
  a.send('still usable');
  assert.equal(await b.recv(), 'still usable');
});

test('an end cannot be given to a multiproc Process: a socket Connection carries plain data only', { skip }, async () => {
  const [a, b] = socketPair();
  const child = new Process({ target: writeText, args: [a as never, 'never'] });
  assert.throws(() => child.start(), { name: 'TypeError', message: /socket Connection/ });
  a.close();
  b.close();
});

test('maxMessageSize is checked: at send, and at the header of a frame that claims more', { skip }, async () => {
  const [a, b] = socketPair({ maxMessageSize: 64 });
  assert.throws(() => a.sendBytes(Buffer.alloc(65)), { code: 'ERR_OUT_OF_RANGE', message: /"maxMessageSize" = 64/ });
  // A peer that writes a header claiming 4 GiB: refused before anything is allocated, the connection closes.
  const header = Buffer.from([0xff, 0xff, 0xff, 0xff, 2]);
  writeSync(a.fd, header);
  await assert.rejects(b.recvBytes(), { code: 'ERR_OUT_OF_RANGE' });
  a.close();
  b.close();
  assert.throws(() => socketPair({ maxMessageSize: 0 }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => socketPair({ maxMessageSize: 2 ** 32 }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => socketPair('big' as never), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('a plain node child rebuilds its inherited end with connectionFromFd and answers through it', { skip }, async (t) => {
  const [parentEnd, childEnd] = socketPair();
  t.after(() => parentEnd.close());
  const program = `
    import { connectionFromFd } from 'multiproc/ipc';
    const conn = connectionFromFd(3);
    for (;;) {
      const message = await conn.recv();
      if (message === null) break;
      conn.send({ echo: message, pid: process.pid });
    }
    conn.close();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', program], { stdio: ['ignore', 'inherit', 'inherit', childEnd.fd] });
  const exit = exitCodeOf(t, child);
  childEnd.close(); // the child holds that end now
  parentEnd.send({ job: 1, data: [1, 2, 3] });
  assert.deepEqual(await parentEnd.recv(), { echo: { job: 1, data: [1, 2, 3] }, pid: child.pid });
  parentEnd.send(null);
  await assert.rejects(parentEnd.recv(), EOFError);
  assert.equal(await exit, 0);
});

test('a Python program speaks the frames over its end: 4-byte big-endian length, kind 2, the bytes', { skip: skipPython }, async (t) => {
  const [parentEnd, childEnd] = socketPair();
  t.after(() => parentEnd.close());
  const program = [
    'import socket, struct',
    'sock = socket.socket(fileno=3)',
    'sock.setblocking(True)  # the descriptor is shared with a non-blocking stream until the parent closes its copy',
    'def read_exactly(n):',
    '    data = b""',
    '    while len(data) < n:',
    '        chunk = sock.recv(n - len(data))',
    '        if not chunk: raise EOFError',
    '        data += chunk',
    '    return data',
    'while True:',
    '    try: length, kind = struct.unpack(">IB", read_exactly(5))',
    '    except EOFError: break',
    '    assert kind == 2, kind',
    '    data = read_exactly(length)',
    '    sock.sendall(struct.pack(">IB", length, 2) + data[::-1])',
    'sock.close()',
  ].join('\n');
  const child = spawn('python3', ['-c', program], { stdio: ['ignore', 'inherit', 'inherit', childEnd.fd] });
  const exit = exitCodeOf(t, child);
  childEnd.close();
  const messages = [Buffer.from('hello python'), Buffer.alloc(0), Buffer.from(Array.from({ length: 100_000 }, (_, i) => i & 0xff))];
  for (const message of messages) parentEnd.sendBytes(message);
  for (const message of messages) assert.equal(Buffer.from(await parentEnd.recvBytes()).equals(Buffer.from(message).reverse()), true);
  parentEnd.close();
  assert.equal(await exit, 0);
});

test('connectionFromFd refuses what is not a socket descriptor', { skip }, async (t) => {
  const file = openSync('/proc/self/stat', 'r');
  t.after(() => closeSync(file));
  assert.throws(() => connectionFromFd(file), { code: 'ERR_INVALID_ARG_VALUE', message: /not a socket/ });
  assert.throws(() => connectionFromFd(-1), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => connectionFromFd('3' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => connectionFromFd(2 ** 31 - 2), { code: 'ERR_INVALID_ARG_VALUE', message: /fstat failed: EBADF/ });
});
