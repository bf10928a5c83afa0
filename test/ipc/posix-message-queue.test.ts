// PosixMessageQueue between unrelated processes (a plain node, Python through ctypes, multiproc's
// children), its waits on the event loop, and its errors. Every queue a test makes is unlinked
// by name in its teardown, so a run leaves the system's queues as it found them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { Pool } from 'multiproc';
import { PosixMessageQueue } from 'multiproc/ipc';
import { loadNative } from '../../src/native/loader.ts';
import { sendThrough } from '../fixtures/posix-ipc-tasks.ts';
import { forEachContext } from '../helpers/contexts.ts';
import { cannotImportAsNobody, pythonMissing, startNode, startNodeAsNobody, startPython, uniquePosixName } from '../helpers/peers.ts';

const skip = loadNative() ? false : 'the native addon is not built here';
const skipPython = skip || pythonMissing() || false;
const skipNobody = skip || cannotImportAsNobody() || false;

/** A fresh name, whose queue (if any) is unlinked when the test ends, whatever happened. */
function queueName(t: TestContext, tag = 'mq'): string {
  const name = uniquePosixName(tag);
  t.after(() => PosixMessageQueue.unlink(name));
  return name;
}

/** A new queue, closed and unlinked when the test ends. */
function newQueue(t: TestContext, options: { maxMessages?: number; messageSize?: number } = {}): PosixMessageQueue {
  const queue = new PosixMessageQueue(queueName(t), { create: true, exclusive: true, ...options });
  t.after(() => queue.close());
  return queue;
}

// ctypes over librt: mq_open with attributes, mq_send and mq_receive, as a Python program has them.
const pythonQueues = `
import ctypes, ctypes.util, os, sys
rt = ctypes.CDLL(ctypes.util.find_library('rt') or 'librt.so.1', use_errno=True)
class Attr(ctypes.Structure):
    _fields_ = [('flags', ctypes.c_long), ('maxmsg', ctypes.c_long), ('msgsize', ctypes.c_long), ('curmsgs', ctypes.c_long), ('reserved', ctypes.c_long * 4)]
rt.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(Attr)]
rt.mq_send.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint]
rt.mq_receive.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint)]
rt.mq_receive.restype = ctypes.c_ssize_t
def check(result, call):
    if result < 0:
        raise OSError(ctypes.get_errno(), call)
    return result
def mq_open(name, flags, maxmsg=0, msgsize=0):
    attr = Attr(0, maxmsg, msgsize, 0) if maxmsg else None
    return check(rt.mq_open(name.encode(), flags, 0o600, ctypes.byref(attr) if attr else None), 'mq_open')
def mq_send(fd, data, priority):
    check(rt.mq_send(fd, data, len(data), priority), 'mq_send')
def mq_receive(fd, size):
    buffer = ctypes.create_string_buffer(size)
    priority = ctypes.c_uint()
    length = check(rt.mq_receive(fd, buffer, size, ctypes.byref(priority)), 'mq_receive')
    return buffer.raw[:length], priority.value
`;

test('a message crosses to a plain node process and back with its bytes and priority', { skip, timeout: 60_000 }, async (t) => {
  const requests = newQueue(t);
  const replies = newQueue(t);
  const peer = startNode(
    t,
    `import { PosixMessageQueue } from 'multiproc/ipc';
     const requests = new PosixMessageQueue(${JSON.stringify(requests.name)});
     const replies = new PosixMessageQueue(${JSON.stringify(replies.name)});
     const { data, priority } = await requests.receive();
     await replies.send(Buffer.concat([data, Buffer.from('!')]), { priority: priority + 1 });
     requests.close(); replies.close();`,
  );
  const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0]);
  await requests.send(bytes, { priority: 7 });
  const reply = await replies.receive();
  assert.deepEqual(reply, { data: Buffer.concat([bytes, Buffer.from('!')]), priority: 8 });
  await peer.succeeded();
});

test('messages come out highest priority first, oldest first within a priority', { skip }, async (t) => {
  const queue = newQueue(t);
  const sent: [string, number][] = [['low-1', 0], ['high-1', 31], ['mid', 5], ['high-2', 31], ['low-2', 0], ['top', 32767]];
  for (const [text, priority] of sent) await queue.send(text, { priority });
  const received: [string, number][] = [];
  for (let count = 0; count < sent.length; count++) {
    const { data, priority } = await queue.receive();
    received.push([data.toString(), priority]);
  }
  assert.deepEqual(received, [['top', 32767], ['high-1', 31], ['high-2', 31], ['mid', 5], ['low-1', 0], ['low-2', 0]]);
});

test('attributes report the sizes asked for and how many messages wait; an empty message is a message', { skip }, async (t) => {
  const queue = newQueue(t, { maxMessages: 3, messageSize: 16 });
  assert.deepEqual(queue.attributes(), { maxMessages: 3, messageSize: 16, currentMessages: 0 });
  await queue.send('');
  await queue.send(new Uint8Array(16).fill(7));
  assert.equal(queue.attributes().currentMessages, 2);
  assert.deepEqual(await queue.receive(), { data: Buffer.alloc(0), priority: 0 });
  assert.deepEqual((await queue.receive()).data, Buffer.alloc(16, 7));
});

test('a message larger than messageSize is refused with a RangeError before anything is sent', { skip }, async (t) => {
  const queue = newQueue(t, { maxMessages: 2, messageSize: 8 });
  await assert.rejects(() => queue.send('123456789'), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /at most 8 bytes/ });
  assert.equal(queue.attributes().currentMessages, 0);
});

test('a receive waits without blocking the event loop: a timer sends what it gets', { skip }, async (t) => {
  const queue = newQueue(t);
  const received = queue.receive();
  setTimeout(() => void queue.send('from a timer', { priority: 2 }), 10);
  const { data, priority } = await received;
  assert.equal(data.toString(), 'from a timer');
  assert.equal(priority, 2);
});

test('a send to a full queue waits until a receive, run by a timer, makes room', { skip }, async (t) => {
  const queue = newQueue(t, { maxMessages: 1, messageSize: 8 });
  await queue.send('first');
  const second = queue.send('second');
  setTimeout(() => void queue.receive().then(({ data }) => assert.equal(data.toString(), 'first')), 10);
  await second;
  assert.equal((await queue.receive()).data.toString(), 'second');
});

test('a timed-out receive rejects with TimeoutError and takes nothing', { skip }, async (t) => {
  const queue = newQueue(t);
  await assert.rejects(() => queue.receive({ timeout: 20 }), { name: 'TimeoutError', code: 'ERR_MP_TIMEOUT', message: new RegExp(`receive\\(${queue.name}\\): not done within 20 ms`) });
  await queue.send('after');
  assert.equal(queue.attributes().currentMessages, 1);
  assert.equal((await queue.receive({ timeout: 0 })).data.toString(), 'after');
});

test('a timed-out send to a full queue rejects with TimeoutError and sends nothing', { skip }, async (t) => {
  const queue = newQueue(t, { maxMessages: 1, messageSize: 8 });
  await queue.send('only');
  await assert.rejects(() => queue.send('extra', { timeout: 20 }), { name: 'TimeoutError' });
  assert.equal(queue.attributes().currentMessages, 1);
  assert.equal((await queue.receive()).data.toString(), 'only');
  assert.equal(queue.attributes().currentMessages, 0);
});

test('an aborted receive rejects with the signal\'s reason and takes nothing', { skip }, async (t) => {
  const queue = newQueue(t);
  const controller = new AbortController();
  const reason = new Error('stop waiting');
  const waiting = queue.receive({ signal: controller.signal });
  setTimeout(() => controller.abort(reason), 10);
  await assert.rejects(waiting, (error) => error === reason);
  await queue.send('kept');
  assert.equal((await queue.receive()).data.toString(), 'kept');
  await assert.rejects(() => queue.receive({ signal: AbortSignal.abort(reason) }), (error) => error === reason);
});

test('waiting receives are served in the order they were made', { skip }, async (t) => {
  const queue = newQueue(t);
  const waits = [queue.receive(), queue.receive(), queue.receive()];
  for (const text of ['a', 'b', 'c']) await queue.send(text);
  assert.deepEqual((await Promise.all(waits)).map(({ data }) => data.toString()), ['a', 'b', 'c']);
});

test('close is idempotent, ends waiting receives with InvalidStateError, and later calls fail clearly', { skip }, async (t) => {
  const queue = newQueue(t);
  const waiting = queue.receive();
  queue.close();
  queue.close();
  assert.equal(queue.closed, true);
  await assert.rejects(waiting, { name: 'InvalidStateError', message: /closed while this call waited/ });
  await assert.rejects(() => queue.send('x'), { name: 'InvalidStateError', message: /was closed/ });
  await assert.rejects(() => queue.receive(), { name: 'InvalidStateError' });
  assert.throws(() => queue.attributes(), { name: 'InvalidStateError' });
});

test('unlink is idempotent, works after close, and the static form says whether there was a queue', { skip }, (t) => {
  const name = queueName(t);
  const queue = new PosixMessageQueue(name, { create: true });
  queue.close();
  queue.unlink();
  queue.unlink();
  assert.equal(PosixMessageQueue.unlink(name), false);
  assert.throws(() => new PosixMessageQueue(name), { code: 'ENOENT' });
  new PosixMessageQueue(name, { create: true }).close();
  assert.equal(PosixMessageQueue.unlink(name), true);
});

test('opening errors name the call, the errno and the queue, and say what to do', { skip }, (t) => {
  const name = queueName(t);
  assert.throws(() => new PosixMessageQueue(name), {
    code: 'ENOENT',
    syscall: 'mq_open',
    message: `PosixMessageQueue: mq_open("${name}") failed: ENOENT (no such file or directory). No queue named "${name}" exists; pass { create: true } to create it.`,
  });
  new PosixMessageQueue(name, { create: true }).close();
  new PosixMessageQueue(name, { create: true }).close(); // create alone opens an existing queue
  assert.throws(() => new PosixMessageQueue(name, { create: true, exclusive: true }), { code: 'EEXIST', message: /mq_open\(".*"\) failed: EEXIST \(file exists\)\. A queue named/ });
  const large = queueName(t);
  assert.throws(() => new PosixMessageQueue(large, { create: true, maxMessages: 10_000_000 }), { code: 'EINVAL', message: /beyond the system's limits/ });
});

test('names, options and arguments are checked before any system call', { skip }, async (t) => {
  for (const bad of ['jobs', '/', '/a/b', '/.', `/${'x'.repeat(256)}`, '/a\0b']) {
    assert.throws(() => new PosixMessageQueue(bad), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }, bad);
  }
  const longest = queueName(t).padEnd(1 + 255, 'x'); // NAME_MAX bytes after "/"
  t.after(() => PosixMessageQueue.unlink(longest));
  new PosixMessageQueue(longest, { create: true }).close();
  assert.throws(() => new PosixMessageQueue(42 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  const name = queueName(t);
  assert.throws(() => new PosixMessageQueue(name, { exclusive: true }), { code: 'ERR_INVALID_ARG_VALUE', message: /create: true/ });
  assert.throws(() => new PosixMessageQueue(name, { maxMessages: 4 }), { code: 'ERR_INVALID_ARG_VALUE', message: /only with \{ create: true \}/ });
  assert.throws(() => new PosixMessageQueue(name, { create: true, maxMessages: 0 }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new PosixMessageQueue(name, { create: true, mode: 0o1777 }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new PosixMessageQueue(name, { read: false, write: false }), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.equal(PosixMessageQueue.unlink(name), false, 'no failed call created the queue');
  const queue = newQueue(t);
  await assert.rejects(() => queue.send('x', { priority: '1' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  for (const priority of [-1, 32768, 1.5]) {
    await assert.rejects(() => queue.send('x', { priority: priority as number }), { code: 'ERR_OUT_OF_RANGE' }, String(priority));
  }
  await assert.rejects(() => queue.send(42 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(() => queue.receive({ timeout: -1 }), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(() => queue.receive({ signal: 'no' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.equal(queue.attributes().currentMessages, 0);
});

test('a queue opened read-only or write-only refuses the other direction', { skip }, async (t) => {
  const queue = newQueue(t);
  const reader = new PosixMessageQueue(queue.name, { write: false });
  const writer = new PosixMessageQueue(queue.name, { read: false });
  t.after(() => {
    reader.close();
    writer.close();
  });
  await writer.send('one way');
  assert.equal((await reader.receive()).data.toString(), 'one way');
  await assert.rejects(() => reader.send('x'), { name: 'InvalidStateError', message: /write: false/ });
  await assert.rejects(() => writer.receive(), { name: 'InvalidStateError', message: /read: false/ });
});

test('a queue made by a Python program is read here, and one made here is read by Python, bytes and priorities exact', { skip: skipPython, timeout: 60_000 }, async (t) => {
  const fromPython = queueName(t, 'py');
  const toPython = newQueue(t);
  const python = startPython(
    t,
    `${pythonQueues}
fd = mq_open(${JSON.stringify(fromPython)}, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 5, 128)
mq_send(fd, bytes(range(256))[:128], 1)
mq_send(fd, b'urgent', 30000)
mq_send(fd, b'', 0)
print('sent', flush=True)
reply = mq_open(${JSON.stringify(toPython.name)}, os.O_RDONLY)
data, priority = mq_receive(reply, 8192)
print(data.hex(), priority, flush=True)
`,
  );
  assert.equal(await python.nextLine(), 'sent');
  const queue = new PosixMessageQueue(fromPython);
  t.after(() => queue.close());
  assert.deepEqual(queue.attributes(), { maxMessages: 5, messageSize: 128, currentMessages: 3 });
  assert.deepEqual(await queue.receive(), { data: Buffer.from('urgent'), priority: 30000 });
  assert.deepEqual(await queue.receive(), { data: Buffer.from(Array.from({ length: 128 }, (_, index) => index)), priority: 1 });
  assert.deepEqual(await queue.receive(), { data: Buffer.alloc(0), priority: 0 });
  const bytes = Buffer.from([0xde, 0xad, 0, 0xbe, 0xef]);
  await toPython.send(bytes, { priority: 12345 });
  assert.equal(await python.nextLine(), `${bytes.toString('hex')} 12345`);
  await python.succeeded();
});

test('a queue outlives a SIGKILLed creator with its messages, until unlinked by name', { skip, timeout: 60_000 }, async (t) => {
  const name = queueName(t);
  const peer = startNode(
    t,
    `import { PosixMessageQueue } from 'multiproc/ipc';
     const queue = new PosixMessageQueue(${JSON.stringify(name)}, { create: true, exclusive: true });
     await queue.send('left behind', { priority: 9 });
     console.log('sent');
     setInterval(() => {}, 1000);`,
  );
  assert.equal(await peer.nextLine(), 'sent');
  peer.child.kill('SIGKILL');
  assert.equal(await peer.exited(), 'SIGKILL');
  const queue = new PosixMessageQueue(name);
  t.after(() => queue.close());
  assert.deepEqual(await queue.receive(), { data: Buffer.from('left behind'), priority: 9 });
  assert.equal(PosixMessageQueue.unlink(name), true);
  assert.throws(() => new PosixMessageQueue(name), { code: 'ENOENT' });
});

test('a new queue is owner-only: another user cannot open it, unless a mode allows', { skip: skipNobody, timeout: 60_000 }, async (t) => {
  const queue = newQueue(t);
  const open = new PosixMessageQueue(queueName(t), { create: true, mode: 0o644 });
  t.after(() => open.close());
  await open.send('public');
  const peer = startNodeAsNobody(
    t,
    `import { PosixMessageQueue } from 'multiproc/ipc';
     try { new PosixMessageQueue(${JSON.stringify(queue.name)}, { write: false }); console.log('opened'); }
     catch (error) { console.log(error.code, error.message); }
     const open = new PosixMessageQueue(${JSON.stringify(open.name)}, { write: false });
     console.log((await open.receive()).data.toString());`,
  );
  assert.equal(await peer.nextLine(), `EACCES PosixMessageQueue: mq_open("${queue.name}") failed: EACCES (permission denied). The queue belongs to another user, or its mode does not allow this access.`);
  assert.equal(await peer.nextLine(), 'public');
  await peer.succeeded();
});

forEachContext((context) => {
  test('a queue travels to a pool task by name and is opened there', { skip, timeout: 60_000 }, async (t) => {
    const queue = newQueue(t);
    await using pool = new Pool({ processes: 1, context });
    assert.equal(await pool.apply(sendThrough, [queue, 'from the pool', 3]), queue.name);
    assert.deepEqual(await queue.receive(), { data: Buffer.from('from the pool'), priority: 3 });
    assert.equal(queue.closed, false, 'the copy closed in the task is not this one');
  });
});
