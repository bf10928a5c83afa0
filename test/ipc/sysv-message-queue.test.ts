import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { InvalidStateError, Process, TimeoutError } from 'multiproc';
import { IPC_PRIVATE, SysVMessageQueue } from 'multiproc/ipc';
import { answerOne } from '../fixtures/sysv-tasks.ts';
import {
  CTYPES_PRELUDE,
  leftovers,
  skipWithoutAddon as skip,
  skipWithoutPython,
  skipWithoutSysvIpc,
  uniqueKey,
  usedId,
  usedKey,
} from '../helpers/sysv.ts';
import { runNode, runPython, startNode } from '../helpers/peers.ts';

/** A new queue of this test's own, removed after it whatever happens. */
function newQueue(t: TestContext): SysVMessageQueue {
  const queue = new SysVMessageQueue(uniqueKey(), { create: true, exclusive: true });
  t.after(() => queue.remove());
  return queue;
}

test('a plain node program opens the queue by key, receives a typed message whole, and answers', { skip }, async (t) => {
  const queue = newQueue(t);
  const bytes = Buffer.from([0, 1, 2, 250, 255, 0]);
  await queue.send(7, bytes);
  const program = `const { SysVMessageQueue } = await import('multiproc/ipc');
    const queue = new SysVMessageQueue(Number(process.argv[1]));
    const { type, data } = await queue.receive();
    await queue.send(type + 1, Buffer.from([...data].reverse()));`;
  await runNode(program, [String(queue.key)]);
  const answer = await queue.receive({ timeout: 10_000 });
  assert.equal(answer.type, 8);
  assert.deepEqual([...answer.data], [...bytes].reverse());
});

test('receive selects as msgrcv does: 0 the first, a type that type, -n the lowest type up to n', { skip }, async (t) => {
  const queue = newQueue(t);
  for (const [type, text] of [[5, 'five'], [3, 'three'], [9, 'nine'], [3, 'three again']] as const) await queue.send(type, text);
  const take = async (type?: number) => String((await queue.receive({ type, timeout: 0 })).data);
  assert.equal(await take(9), 'nine');
  assert.equal(await take(-4), 'three');
  assert.equal(await take(0), 'five');
  assert.equal(await take(), 'three again');
  await assert.rejects(queue.receive({ timeout: 0 }), TimeoutError);
});

test('a timed-out receive takes nothing: the message sent afterwards is received whole', { skip }, async (t) => {
  const queue = newQueue(t);
  await assert.rejects(queue.receive({ timeout: 30 }), (error: Error) => {
    assert.ok(error instanceof TimeoutError);
    assert.match(error.message, /SysVMessageQueue\(0x[0-9a-f]{8}\)\.receive: not done within 30 ms/);
    return true;
  });
  await queue.send(1, 'after the timeout');
  assert.equal(queue.attributes().messages, 1);
  const { type, data } = await queue.receive();
  assert.equal(type, 1);
  assert.equal(String(data), 'after the timeout');
});

test('a pending receive leaves the event loop free: a timer sends the message it waits for', { skip }, async (t) => {
  const queue = newQueue(t);
  const pending = queue.receive({ type: 4 });
  setTimeout(() => void queue.send(4, 'from a timer'), 20);
  assert.equal(String((await pending).data), 'from a timer');
});

test('an aborted receive rejects with the reason and takes no message', { skip }, async (t) => {
  const queue = newQueue(t);
  const controller = new AbortController();
  const pending = queue.receive({ signal: controller.signal });
  setTimeout(() => controller.abort(new Error('stop waiting')), 20);
  await assert.rejects(pending, /stop waiting/);
  await queue.send(2, 'kept');
  assert.equal(String((await queue.receive()).data), 'kept');
  await assert.rejects(queue.receive({ signal: AbortSignal.abort() }), { name: 'AbortError' });
});

test('a send waits while the queue is full, times out sending nothing, and completes once there is room', { skip }, async (t) => {
  const queue = newQueue(t);
  const chunk = Buffer.alloc(1024, 1);
  let sent = 0;
  for (;;) {
    try {
      await queue.send(1, chunk, { timeout: 0 });
      sent++;
    } catch (error) {
      assert.ok(error instanceof TimeoutError);
      break;
    }
  }
  assert.equal(queue.attributes().messages, sent);
  await assert.rejects(queue.send(2, chunk, { timeout: 20 }), TimeoutError);
  assert.equal(queue.attributes().messages, sent);
  const pending = queue.send(2, 'last');
  setTimeout(() => void queue.receive(), 20);
  await pending;
  assert.equal(String((await queue.receive({ type: 2, timeout: 0 })).data), 'last');
});

test('a quick exchange with a node peer, in turns and then streamed the other way, delivers every message once and in order', { skip }, async (t) => {
  const queue = newQueue(t);
  const turns = 300;
  const program = `const { SysVMessageQueue } = await import('multiproc/ipc');
    const queue = new SysVMessageQueue(Number(process.argv[1]));
    for (let turn = 0; turn < ${turns}; turn++) {
      const { data } = await queue.receive({ type: 1 });
      await queue.send(2, data);
    }`;
  startNode(t, program, [String(queue.key)]);
  for (let turn = 0; turn < turns; turn++) {
    await queue.send(1, `turn ${turn}`);
    const { type, data } = await queue.receive({ type: 2, timeout: 10_000 });
    assert.equal(type, 2);
    assert.equal(String(data), `turn ${turn}`);
  }
  // A stream the other way round: the peer's sends find room or wait for it, this side drains.
  const streamed = 2000;
  startNode(
    t,
    `const { SysVMessageQueue } = await import('multiproc/ipc');
    const queue = new SysVMessageQueue(Number(process.argv[1]));
    for (let index = 0; index < ${streamed}; index++) await queue.send(3, String(index).padStart(64, '.'));`,
    [String(queue.key)],
  );
  for (let index = 0; index < streamed; index++) {
    assert.equal(String((await queue.receive({ type: 3, timeout: 10_000 })).data), String(index).padStart(64, '.'));
  }
  assert.equal(queue.attributes().messages, 0);
});

test('a queue travels to a multiproc child by key and is used there', { skip }, async (t) => {
  const queue = newQueue(t);
  const child = new Process({ target: answerOne, args: [queue] });
  child.start();
  t.after(() => child.kill());
  await queue.send(10, 'hello child');
  await child.join();
  assert.equal(child.exitCode, 0);
  assert.equal(String((await queue.receive({ type: 11, timeout: 0 })).data), 'HELLO CHILD');
});

test('a private queue (IPC_PRIVATE) travels to a multiproc child by its id', { skip }, async (t) => {
  const queue = new SysVMessageQueue(IPC_PRIVATE);
  usedId('msg', queue.id);
  t.after(() => queue.remove());
  assert.equal(queue.key, IPC_PRIVATE);
  const child = new Process({ target: answerOne, args: [queue] });
  child.start();
  t.after(() => child.kill());
  await queue.send(1, 'private');
  await child.join();
  assert.equal(String((await queue.receive({ type: 2, timeout: 0 })).data), 'PRIVATE');
});

test('Python through ctypes (msgsnd, msgrcv) gets the types and bytes sent, and its answer arrives exactly', { skip: skipWithoutPython }, async (t) => {
  const queue = newQueue(t);
  const bytes = Buffer.from([0, 0x80, 0xff, 10, 0]);
  await queue.send(123456789, bytes);
  const program = `${CTYPES_PRELUDE}
qid = check(libc.msgget(int(sys.argv[1]), 0), 'msgget')
buffer = ctypes.create_string_buffer(8 + 8192)
size = check(libc.msgrcv(qid, buffer, 8192, 0, 0), 'msgrcv')
mtype = c_long.from_buffer(buffer).value
data = buffer.raw[8:8 + size]
print(mtype, data.hex())
answer = ctypes.create_string_buffer(8 + len(data) + 1)
c_long.from_buffer(answer).value = 2**40 + 3
answer[8:8 + len(data) + 1] = data + b'!'
check(libc.msgsnd(qid, answer, len(data) + 1, 0), 'msgsnd')
`;
  assert.equal(await runPython('python3', program, [String(queue.key)]), `123456789 ${bytes.toString('hex')}\n`);
  const { type, data } = await queue.receive({ timeout: 0 });
  assert.equal(type, 2 ** 40 + 3);
  assert.deepEqual(data, Buffer.concat([bytes, Buffer.from('!')]));
});

test("Python's sysv_ipc.MessageQueue exchanges messages by key, types and bytes exact", { skip: skipWithoutSysvIpc }, async (t) => {
  const queue = newQueue(t);
  await queue.send(42, Buffer.from('from node\u00e9'));
  const program = `import sys, sysv_ipc
queue = sysv_ipc.MessageQueue(int(sys.argv[1]))
data, mtype = queue.receive()
print(mtype, data.decode())
queue.send(bytes([1, 2, 3, 0, 255]), type=77)
`;
  assert.equal(await runPython('/usr/bin/python3', program, [String(queue.key)]), '42 from node\u00e9\n');
  const { type, data } = await queue.receive({ timeout: 0 });
  assert.equal(type, 77);
  assert.deepEqual([...data], [1, 2, 3, 0, 255]);
});

test('remove() makes a pending receive fail with EIDRM, is idempotent, and later calls throw InvalidStateError', { skip }, async () => {
  const queue = new SysVMessageQueue(uniqueKey(), { create: true });
  const elsewhere = new SysVMessageQueue(queue.key); // as another process would hold it
  const pending = queue.receive();
  setTimeout(() => queue.remove(), 20);
  await assert.rejects(pending, { code: 'EIDRM', message: /: the message queue was removed/ });
  await assert.rejects(elsewhere.send(1, 'x'), { code: 'EIDRM', message: /: the message queue was removed/ });
  elsewhere.remove(); // gone already: no error
  queue.remove();
  await assert.rejects(queue.receive(), InvalidStateError);
  await assert.rejects(queue.send(1, 'x'), InvalidStateError);
  assert.throws(() => queue.attributes(), InvalidStateError);
});

test('a queue a SIGKILLed peer was waiting on outlives it (the kernel keeps it) until removed', { skip }, async (t) => {
  const key = uniqueKey();
  const program = `const { SysVMessageQueue } = await import('multiproc/ipc');
    const queue = new SysVMessageQueue(Number(process.argv[1]), { create: true, exclusive: true });
    console.log('waiting');
    await queue.receive();`;
  const peer = startNode(t, program, [String(key)]);
  assert.equal(await peer.nextLine(), 'waiting');
  await peer.kill();
  const queue = new SysVMessageQueue(key);
  assert.equal(queue.attributes().messages, 0);
  queue.remove();
  assert.throws(() => new SysVMessageQueue(key), { code: 'ENOENT' });
});

test('arguments are checked before any system call, and errors name the key and the fix', { skip }, async (t) => {
  const queue = newQueue(t);
  assert.throws(() => new SysVMessageQueue(uniqueKey()), (error: NodeJS.ErrnoException) => {
    assert.equal(error.code, 'ENOENT');
    assert.match(error.message, /SysVMessageQueue\(0x[0-9a-f]{8}\): no message queue has this key; create one with \{ create: true \}/);
    return true;
  });
  assert.throws(() => new SysVMessageQueue(queue.key, { create: true, exclusive: true }), { code: 'EEXIST' });
  assert.equal(new SysVMessageQueue(queue.key, { create: true }).id, queue.id);
  assert.throws(() => new SysVMessageQueue(2 ** 32), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new SysVMessageQueue('1' as unknown as number), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => new SysVMessageQueue(1, { mode: 0o1000 }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new SysVMessageQueue(1, { exclusive: true }), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(queue.send(0, 'x'), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(queue.send(1.5, 'x'), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(queue.send(1, 42 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(queue.send(1, Buffer.alloc(1024 * 1024)), /msgmax/);
  await assert.rejects(queue.receive({ timeout: -1 }), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(queue.receive({ type: 2 ** 60 }), { code: 'ERR_OUT_OF_RANGE' });
});

test('keys are 32 bits read either way: a key and its unsigned reading open one queue', { skip }, async (t) => {
  const key = usedKey(uniqueKey() | 0x80000000); // a negative key_t
  const queue = new SysVMessageQueue(key, { create: true, exclusive: true });
  t.after(() => queue.remove());
  const unsigned = new SysVMessageQueue(key >>> 0);
  assert.equal(unsigned.id, queue.id);
  assert.equal(unsigned.key, key);
  assert.ok(key < 0 && key >>> 0 > 2 ** 31);
});

test('a queue is created owner-only (0600) unless a mode is given', { skip }, async (t) => {
  assert.equal(newQueue(t).attributes().mode, 0o600);
  const shared = new SysVMessageQueue(uniqueKey(), { create: true, mode: 0o640 });
  t.after(() => shared.remove());
  assert.equal(shared.attributes().mode, 0o640);
});

test('these tests leave no message queue of theirs in the kernel', { skip }, () => {
  assert.deepEqual(leftovers(), []);
});
