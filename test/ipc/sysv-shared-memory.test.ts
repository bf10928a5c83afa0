import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { InvalidStateError, Process } from 'multiproc';
import { IPC_PRIVATE, SysVSharedMemory } from 'multiproc/ipc';
import { writeText } from '../fixtures/sysv-tasks.ts';
import {
  CTYPES_PRELUDE,
  leftovers,
  skipWithoutAddon as skip,
  skipWithoutPython,
  skipWithoutSysvIpc,
  uniqueKey,
  usedId,
} from '../helpers/sysv.ts';
import { runNode, runPython, startNode } from '../helpers/peers.ts';

/** A new segment of this test's own, detached and removed after it whatever happens. */
function newSegment(t: TestContext, size: number): SysVSharedMemory {
  const memory = new SysVSharedMemory(uniqueKey(), size, { create: true, exclusive: true });
  t.after(() => {
    memory.detach();
    memory.remove();
  });
  return memory;
}

test('a plain node program attaches the segment by key and its writes are seen here, Atomics included', { skip }, async (t) => {
  const memory = newSegment(t, 4096);
  memory.buf.write('ping');
  const program = `const { SysVSharedMemory } = await import('multiproc/ipc');
    const memory = new SysVSharedMemory(Number(process.argv[1]), 0);
    const read = memory.buf.toString('latin1', 0, 4);
    memory.buf.write('pong', 4);
    const words = new Int32Array(memory.buf.buffer, 8, 1);
    for (let i = 0; i < 1000; i++) Atomics.add(words, 0, 1);
    console.log(read, memory.size);`;
  assert.equal(await runNode(program, [String(memory.key)]), 'ping 4096\n');
  assert.equal(memory.buf.toString('latin1', 0, 8), 'pingpong');
  assert.equal(Atomics.load(new Int32Array(memory.buf.buffer, 8, 1), 0), 1000);
});

test('detach() detaches at once: buf then throws, old views read zeros, the attach count drops', { skip }, async (t) => {
  const memory = newSegment(t, 100);
  const second = new SysVSharedMemory(memory.key, 0);
  assert.equal(memory.attributes().attachments, 2);
  second.buf[0] = 7;
  const stale = second.buf;
  second.detach();
  second.detach();
  assert.equal(memory.attributes().attachments, 1);
  assert.equal(memory.buf[0], 7);
  assert.equal(stale[0], 0);
  stale[0] = 9; // private now: not seen by the segment
  assert.equal(memory.buf[0], 7);
  assert.throws(() => second.buf, InvalidStateError);
});

test('remove() keeps attachments valid, as the kernel does, and the key then names nothing', { skip }, async () => {
  const memory = new SysVSharedMemory(uniqueKey(), 64, { create: true });
  try {
    memory.buf[1] = 5;
    memory.remove();
    memory.remove();
    assert.equal(memory.attributes().removed, true);
    memory.buf[2] = 6;
    assert.deepEqual([...memory.buf.subarray(1, 3)], [5, 6]);
    assert.throws(() => new SysVSharedMemory(memory.key, 0), { code: 'ENOENT', message: /no shared-memory segment has this key/ });
  } finally {
    memory.detach();
  }
});

test('a segment travels to a multiproc child by key, and a private one by id', { skip }, async (t) => {
  const named = newSegment(t, 32);
  const privateOne = new SysVSharedMemory(IPC_PRIVATE, 32);
  usedId('shm', privateOne.id);
  t.after(() => {
    privateOne.detach();
    privateOne.remove();
  });
  for (const [memory, text] of [[named, 'by key'], [privateOne, 'by id']] as const) {
    const child = new Process({ target: writeText, args: [memory, text] });
    child.start();
    t.after(() => child.kill());
    await child.join();
    assert.equal(child.exitCode, 0);
    assert.equal(memory.buf.toString('latin1', 0, text.length), text);
  }
});

test('Python through ctypes (shmget, shmat) reads the bytes written here and its writes are seen here', { skip: skipWithoutPython }, async (t) => {
  const memory = newSegment(t, 256);
  memory.buf.set([0, 1, 0x80, 0xff], 0);
  const program = `${CTYPES_PRELUDE}
sid = check(libc.shmget(int(sys.argv[1]), 0, 0), 'shmget')
address = libc.shmat(sid, None, 0)
if address == ctypes.c_void_p(-1).value: raise OSError(ctypes.get_errno(), 'shmat')
print(ctypes.string_at(address, 4).hex())
ctypes.memmove(address + 100, b'from python\\x00\\xfe', 13)
check(libc.shmdt(address), 'shmdt')
`;
  assert.equal(await runPython('python3', program, [String(memory.key)]), '000180ff\n');
  assert.deepEqual(memory.buf.subarray(100, 113), Buffer.from('from python\x00\xfe', 'latin1'));
});

test("Python's sysv_ipc.SharedMemory reads and writes the same segment by key", { skip: skipWithoutSysvIpc }, async (t) => {
  const memory = newSegment(t, 64);
  memory.buf.write('node wrote this');
  const program = `import sys, sysv_ipc
memory = sysv_ipc.SharedMemory(int(sys.argv[1]))
print(memory.read(15).decode(), memory.size)
memory.write(b'python answered', 20)
memory.detach()
`;
  assert.equal(await runPython('/usr/bin/python3', program, [String(memory.key)]), 'node wrote this 64\n');
  assert.equal(memory.buf.toString('latin1', 20, 35), 'python answered');
});

test('a segment outlives a SIGKILLed peer that created and attached it; its attachment goes with the peer', { skip }, async (t) => {
  const key = uniqueKey();
  const program = `const { SysVSharedMemory } = await import('multiproc/ipc');
    const memory = new SysVSharedMemory(Number(process.argv[1]), 10, { create: true, exclusive: true });
    memory.buf.write('left here');
    console.log('attached');
    setInterval(() => {}, 1000);`;
  const peer = startNode(t, program, [String(key)]);
  assert.equal(await peer.nextLine(), 'attached');
  await peer.kill();
  const memory = new SysVSharedMemory(key, 0);
  try {
    assert.equal(memory.attributes().attachments, 1);
    assert.equal(memory.buf.toString('latin1', 0, 9), 'left here');
  } finally {
    memory.detach();
    memory.remove();
  }
  assert.throws(() => new SysVSharedMemory(key, 0), { code: 'ENOENT' });
});

test('sizes are checked: at least 1 to create, SHMMAX at most, and no more than an existing segment has', { skip }, async (t) => {
  const memory = newSegment(t, 100);
  assert.throws(() => new SysVSharedMemory(memory.key, 101), { code: 'ERR_OUT_OF_RANGE', message: /at most 100, the size of the existing segment/ });
  const smaller = new SysVSharedMemory(memory.key, 50);
  assert.equal(smaller.size, 100);
  smaller.detach();
  assert.throws(() => new SysVSharedMemory(uniqueKey(), 0, { create: true }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new SysVSharedMemory(uniqueKey(), 2 ** 53, { create: true }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new SysVSharedMemory(uniqueKey(), -1), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new SysVSharedMemory(uniqueKey(), '1' as unknown as number), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => new SysVSharedMemory(memory.key, 100, { create: true, exclusive: true }), { code: 'EEXIST' });
  assert.equal(memory.attributes().mode, 0o600);
});

test('these tests leave no shared-memory segment of theirs in the kernel', { skip }, () => {
  assert.deepEqual(leftovers(), []);
});
