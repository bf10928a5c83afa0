import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { InvalidStateError, Pool, TimeoutError } from 'multiproc';
import { IPC_PRIVATE, SysVSemaphoreSet } from 'multiproc/ipc';
import { takeOne } from '../fixtures/sysv-tasks.ts';
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

/** A new set of this test's own, removed after it whatever happens. */
function newSet(t: TestContext, count: number, value = 0): SysVSemaphoreSet {
  const set = new SysVSemaphoreSet(uniqueKey(), count, { create: true, exclusive: true, value });
  t.after(() => set.remove());
  return set;
}

test('a plain node program waits on a semaphore by key until this process raises it', { skip }, async (t) => {
  const set = newSet(t, 1);
  const program = `const { SysVSemaphoreSet } = await import('multiproc/ipc');
    const set = new SysVSemaphoreSet(Number(process.argv[1]), 1);
    await set.op([{ index: 0, delta: -2 }]);
    console.log('took 2, left', set.get(0));`;
  const peer = runNode(program, [String(set.key)]);
  set.op([{ index: 0, delta: 3 }]);
  assert.equal(await peer, 'took 2, left 1\n');
  assert.equal(set.get(0), 1);
});

test('op applies its operations all at once, or waits without applying any', { skip }, async (t) => {
  const set = newSet(t, 2, 1);
  set.set(1, 0);
  assert.equal(set.tryOp([{ index: 0, delta: -1 }, { index: 1, delta: -1 }]), false);
  assert.deepEqual([set.get(0), set.get(1)], [1, 0]);
  const both = set.op([{ index: 0, delta: -1 }, { index: 1, delta: -1 }]);
  setTimeout(() => set.set(1, 1), 20); // a timer runs while op waits: the loop is free
  await both;
  assert.deepEqual([set.get(0), set.get(1)], [0, 0]);
});

test('a zero delta waits until the value is zero', { skip }, async (t) => {
  const set = newSet(t, 1, 2);
  const zero = set.op([{ index: 0, delta: 0 }]);
  setTimeout(() => void set.op([{ index: 0, delta: -2 }]), 20);
  await zero;
  assert.equal(set.get(0), 0);
  assert.equal(set.tryOp([{ index: 0, delta: 0 }]), true);
});

test('a timed-out or aborted op rejects having applied nothing', { skip }, async (t) => {
  const set = newSet(t, 2, 1);
  await assert.rejects(set.op([{ index: 0, delta: -1 }, { index: 1, delta: -2 }], { timeout: 30 }), (error: Error) => {
    assert.ok(error instanceof TimeoutError);
    assert.match(error.message, /SysVSemaphoreSet\(0x[0-9a-f]{8}\)\.op: not done within 30 ms/);
    return true;
  });
  assert.deepEqual([set.get(0), set.get(1)], [1, 1]);
  const controller = new AbortController();
  const pending = set.op([{ index: 1, delta: -5 }], { signal: controller.signal });
  setTimeout(() => controller.abort(new Error('no longer needed')), 20);
  await assert.rejects(pending, /no longer needed/);
  assert.deepEqual([set.get(0), set.get(1)], [1, 1]);
  await assert.rejects(set.op([{ index: 0, delta: -1 }], { timeout: 0 }).then(() => set.op([{ index: 0, delta: -1 }], { timeout: 0 })), TimeoutError);
  assert.equal(set.get(0), 0);
});

test('with undo, the kernel gives back what a SIGKILLed peer held', { skip }, async (t) => {
  const set = newSet(t, 1, 1);
  const program = `const { SysVSemaphoreSet } = await import('multiproc/ipc');
    const set = new SysVSemaphoreSet(Number(process.argv[1]), 1);
    await set.op([{ index: 0, delta: -1 }], { undo: true });
    console.log('holding');
    setInterval(() => {}, 1000);`;
  const peer = startNode(t, program, [String(set.key)]);
  assert.equal(await peer.nextLine(), 'holding');
  assert.equal(set.get(0), 0);
  await peer.kill();
  assert.equal(set.get(0), 1);
});

test('a set travels to pool workers by key; each waits for its turn there', { skip }, async (t) => {
  const set = newSet(t, 1, 0);
  await using pool = new Pool({ processes: 2 });
  const results = [pool.apply(takeOne, [set]), pool.apply(takeOne, [set])];
  set.op([{ index: 0, delta: 2 }]);
  assert.deepEqual((await Promise.all(results)).sort(), [0, 1]);
});

test('a private set (IPC_PRIVATE) starts at its value and travels to a child by id', { skip }, async (t) => {
  const set = new SysVSemaphoreSet(IPC_PRIVATE, 1, { value: 1 });
  usedId('sem', set.id);
  t.after(() => set.remove());
  assert.equal(set.get(0), 1);
  await using pool = new Pool({ processes: 1 });
  assert.equal(await pool.apply(takeOne, [set]), 0);
});

test('Python through ctypes (semop, semctl) waits on the set and raises what it is told', { skip: skipWithoutPython }, async (t) => {
  const set = newSet(t, 3);
  const program = `${CTYPES_PRELUDE}
class sembuf(ctypes.Structure):
    _fields_ = [('sem_num', c_ushort), ('sem_op', c_short), ('sem_flg', c_short)]
sid = check(libc.semget(int(sys.argv[1]), 0, 0), 'semget')
wait = (sembuf * 1)(sembuf(0, -1, 0))
check(libc.semop(sid, wait, 1), 'semop')
post = (sembuf * 2)(sembuf(1, 7, 0), sembuf(2, 32767, 0))
check(libc.semop(sid, post, 2), 'semop')
print(libc.semctl(sid, 0, 12))  # GETVAL
`;
  const python = runPython('python3', program, [String(set.key)]);
  setTimeout(() => set.set(0, 1), 20);
  assert.equal(await python, '0\n');
  assert.deepEqual([set.get(0), set.get(1), set.get(2)], [0, 7, 32767]);
});

test("Python's sysv_ipc.Semaphore shares a one-semaphore set by key", { skip: skipWithoutSysvIpc }, async (t) => {
  const set = newSet(t, 1, 0);
  const program = `import sys, sysv_ipc
semaphore = sysv_ipc.Semaphore(int(sys.argv[1]))
semaphore.acquire()  # waits for node's +1
semaphore.release()
semaphore.release()
semaphore.Z()  # waits until node took both
print('zero', semaphore.value)
`;
  const python = runPython('/usr/bin/python3', program, [String(set.key)]);
  await set.op([{ index: 0, delta: 1 }]);
  await set.op([{ index: 0, delta: -2 }]);
  assert.equal(await python, 'zero 0\n');
  assert.equal(set.get(0), 0);
});

test('remove() makes a pending op fail with EIDRM, is idempotent, and later calls throw InvalidStateError', { skip }, async () => {
  const set = new SysVSemaphoreSet(uniqueKey(), 1, { create: true });
  const pending = set.op([{ index: 0, delta: -1 }]);
  setTimeout(() => set.remove(), 20);
  await assert.rejects(pending, { code: 'EIDRM', message: /: the semaphore set was removed/ });
  set.remove();
  await assert.rejects(set.op([{ index: 0, delta: 1 }]), InvalidStateError);
  assert.throws(() => set.get(0), InvalidStateError);
  assert.throws(() => set.set(0, 1), InvalidStateError);
  assert.throws(() => set.tryOp([{ index: 0, delta: 1 }]), InvalidStateError);
});

test('a set outlives a SIGKILLed peer that created it, until removed', { skip }, async (t) => {
  const key = uniqueKey();
  const program = `const { SysVSemaphoreSet } = await import('multiproc/ipc');
    const set = new SysVSemaphoreSet(Number(process.argv[1]), 2, { create: true, exclusive: true, value: 4 });
    console.log('created');
    await set.op([{ index: 1, delta: -5 }]);`;
  const peer = startNode(t, program, [String(key)]);
  assert.equal(await peer.nextLine(), 'created');
  await peer.kill();
  const set = new SysVSemaphoreSet(key, 0);
  assert.equal(set.length, 2);
  assert.deepEqual([set.get(0), set.get(1)], [4, 4]);
  set.remove();
  assert.throws(() => new SysVSemaphoreSet(key, 2), { code: 'ENOENT' });
});

test('arguments are checked before any system call: indexes, deltas (a C short), values, counts', { skip }, async (t) => {
  const set = newSet(t, 2);
  await assert.rejects(set.op([{ index: 2, delta: 1 }]), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(set.op([{ index: 0, delta: 32768 }]), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(set.op([{ index: 0, delta: -32769 }]), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(set.op([]), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(set.op([null as unknown as { index: number; delta: number }]), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(set.op([{ index: 0, delta: 1 }], { undo: 1 as unknown as boolean }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => set.set(0, 32768), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => set.set(0, -1), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => set.get(-1), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new SysVSemaphoreSet(set.key, 3), { code: 'ERR_OUT_OF_RANGE', message: /at most 2, the size of the existing set/ });
  assert.throws(() => new SysVSemaphoreSet(uniqueKey(), 0, { create: true }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new SysVSemaphoreSet(uniqueKey(), 1), { code: 'ENOENT', message: /no semaphore set has this key/ });
  assert.equal(new SysVSemaphoreSet(set.key, 1, { create: true, value: 9 }).get(0), 0); // exists: its values are kept
});

test('these tests leave no semaphore set of theirs in the kernel', { skip }, () => {
  assert.deepEqual(leftovers(), []);
});
