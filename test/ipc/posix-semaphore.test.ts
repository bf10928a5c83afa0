// PosixSemaphore between unrelated processes (a plain node, Python through ctypes, multiproc's
// children), its waits off the event loop, and its errors. Every semaphore a test makes is
// unlinked by name in its teardown, so a run leaves /dev/shm as it found it.
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { Pool } from 'multiproc';
import { PosixSemaphore } from 'multiproc/ipc';
import { loadNative } from '../../src/native/loader.ts';
import { postTimes } from '../fixtures/posix-ipc-tasks.ts';
import { forEachContext } from '../helpers/contexts.ts';
import { pythonMissing, startNode, startPython, uniquePosixName } from '../helpers/peers.ts';

const skip = loadNative() ? false : 'the native addon is not built here';
const skipPython = skip || pythonMissing() || false;
/** Where glibc keeps a named semaphore. */
const fileOf = (name: string) => `/dev/shm/sem.${name.slice(1)}`;

/** A fresh name, whose semaphore (if any) is unlinked when the test ends, whatever happened. */
function semaphoreName(t: TestContext): string {
  const name = uniquePosixName('sem');
  t.after(() => PosixSemaphore.unlink(name));
  return name;
}

/** A new semaphore, closed and unlinked when the test ends. */
function newSemaphore(t: TestContext, value = 0): PosixSemaphore {
  const semaphore = new PosixSemaphore(semaphoreName(t), { create: true, exclusive: true, value });
  t.after(() => semaphore.close());
  return semaphore;
}

// ctypes over libc (or libpthread before glibc 2.34): sem_open, sem_wait, sem_post, sem_getvalue.
const pythonSemaphores = `
import ctypes, ctypes.util, os
libc = ctypes.CDLL(None, use_errno=True)
if not hasattr(libc, 'sem_open'):
    libc = ctypes.CDLL(ctypes.util.find_library('pthread'), use_errno=True)
libc.sem_open.restype = ctypes.c_void_p
libc.sem_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_uint]
for call in ('sem_wait', 'sem_post', 'sem_getvalue', 'sem_close'):
    getattr(libc, call).argtypes = [ctypes.c_void_p] + ([ctypes.POINTER(ctypes.c_int)] if call == 'sem_getvalue' else [])
def sem_open(name, flags=0, value=0):
    semaphore = libc.sem_open(name.encode(), flags, 0o600, value)
    if semaphore is None or semaphore == ctypes.c_void_p(-1).value:
        raise OSError(ctypes.get_errno(), 'sem_open')
    return semaphore
def sem_value(semaphore):
    value = ctypes.c_int()
    libc.sem_getvalue(semaphore, ctypes.byref(value))
    return value.value
`;

test('a plain node process posts and the wait here returns; its wait returns when this one posts', { skip, timeout: 60_000 }, async (t) => {
  const toHere = newSemaphore(t);
  const toPeer = newSemaphore(t);
  const peer = startNode(
    t,
    `import { PosixSemaphore } from 'multiproc/ipc';
     const toHere = new PosixSemaphore(${JSON.stringify(toHere.name)});
     const toPeer = new PosixSemaphore(${JSON.stringify(toPeer.name)});
     toHere.post();
     await toPeer.wait();
     console.log('released', toPeer.value);`,
  );
  await toHere.wait();
  toPeer.post();
  assert.equal(await peer.nextLine(), 'released 0');
  await peer.succeeded();
});

test('a semaphore made by a Python program is used here, and one made here is used by Python', { skip: skipPython, timeout: 60_000 }, async (t) => {
  const fromPython = semaphoreName(t);
  const toPython = newSemaphore(t);
  toPython.post(); // the first of Python's two waits takes this one at once
  const python = startPython(
    t,
    `${pythonSemaphores}
mine = sem_open(${JSON.stringify(fromPython)}, os.O_CREAT | os.O_EXCL, 3)
print('created', flush=True)
theirs = sem_open(${JSON.stringify(toPython.name)})
libc.sem_wait(theirs)
libc.sem_wait(theirs)
print('waited', sem_value(theirs), sem_value(mine), flush=True)
`,
  );
  assert.equal(await python.nextLine(), 'created');
  const semaphore = new PosixSemaphore(fromPython);
  t.after(() => semaphore.close());
  assert.equal(semaphore.value, 3);
  assert.equal(semaphore.tryWait(), true);
  toPython.post(); // Python's second wait returns only now, so it sees the tryWait above
  assert.equal(await python.nextLine(), 'waited 0 2');
  await python.succeeded();
});

test('a wait is off the event loop: a timer posts the semaphore it waits for', { skip }, async (t) => {
  const semaphore = newSemaphore(t);
  setTimeout(() => semaphore.post(), 10);
  await semaphore.wait();
  assert.equal(semaphore.value, 0);
});

test('several waits pending at once are each released by one post', { skip }, async (t) => {
  const semaphore = newSemaphore(t);
  const waits = [semaphore.wait(), semaphore.wait(), semaphore.wait()];
  setTimeout(() => {
    for (let count = 0; count < 3; count++) semaphore.post();
  }, 10);
  await Promise.all(waits);
  assert.equal(semaphore.value, 0);
});

test('a timed-out wait rejects with TimeoutError and takes nothing', { skip }, async (t) => {
  const semaphore = newSemaphore(t);
  await assert.rejects(() => semaphore.wait({ timeout: 20 }), { name: 'TimeoutError', code: 'ERR_MP_TIMEOUT', message: new RegExp(`wait\\(${semaphore.name}\\): not done within 20 ms`) });
  semaphore.post();
  assert.equal(semaphore.value, 1);
  await semaphore.wait({ timeout: 0 });
});

test('an aborted wait rejects with the signal\'s reason and takes nothing', { skip }, async (t) => {
  const semaphore = newSemaphore(t);
  const controller = new AbortController();
  const reason = new Error('stop waiting');
  const waiting = semaphore.wait({ signal: controller.signal });
  setTimeout(() => controller.abort(reason), 10);
  await assert.rejects(waiting, (error) => error === reason);
  semaphore.post();
  assert.equal(semaphore.value, 1);
  await assert.rejects(() => semaphore.wait({ signal: AbortSignal.abort(reason) }), (error) => error === reason);
  assert.equal(semaphore.value, 1, 'an already-aborted wait takes nothing either');
});

test('tryWait, post and value count as sem_trywait, sem_post and sem_getvalue do', { skip }, (t) => {
  const semaphore = newSemaphore(t, 2);
  assert.equal(semaphore.value, 2);
  assert.equal(semaphore.tryWait(), true);
  assert.equal(semaphore.tryWait(), true);
  assert.equal(semaphore.tryWait(), false);
  semaphore.post();
  assert.equal(semaphore.value, 1);
});

test('a new semaphore is owner-only unless a mode is given', { skip }, (t) => {
  const owned = newSemaphore(t);
  assert.equal(statSync(fileOf(owned.name)).mode & 0o777, 0o600);
  const name = semaphoreName(t);
  const shared = new PosixSemaphore(name, { create: true, mode: 0o640 });
  t.after(() => shared.close());
  assert.equal(statSync(fileOf(name)).mode & 0o777, 0o640 & ~process.umask());
});

test('a post beyond SEM_VALUE_MAX fails with EOVERFLOW, and values beyond it are refused', { skip }, (t) => {
  const max = 2 ** 31 - 1;
  const semaphore = newSemaphore(t, max);
  assert.throws(() => semaphore.post(), { code: 'EOVERFLOW', syscall: 'sem_post', message: /^PosixSemaphore.post: sem_post\(".*"\) failed: EOVERFLOW .*maximum \(SEM_VALUE_MAX/ });
  assert.equal(semaphore.value, max);
  assert.throws(() => new PosixSemaphore(semaphoreName(t), { create: true, value: max + 1 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new PosixSemaphore(semaphoreName(t), { create: true, value: -1 }), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => new PosixSemaphore(semaphoreName(t), { create: true, value: 0.5 }), { code: 'ERR_OUT_OF_RANGE' });
});

test('opening errors name the call, the errno and the semaphore, and say what to do', { skip }, (t) => {
  const name = semaphoreName(t);
  assert.throws(() => new PosixSemaphore(name), {
    code: 'ENOENT',
    syscall: 'sem_open',
    message: `PosixSemaphore: sem_open("${name}") failed: ENOENT (no such file or directory). No semaphore named "${name}" exists; pass { create: true } to create it.`,
  });
  new PosixSemaphore(name, { create: true }).close();
  new PosixSemaphore(name, { create: true }).close(); // create alone opens an existing one
  assert.throws(() => new PosixSemaphore(name, { create: true, exclusive: true }), { code: 'EEXIST', message: /exists already/ });
});

test('names and options are checked before any system call', { skip }, async (t) => {
  for (const bad of ['slots', '/', '/a/b', '/..', `/${'x'.repeat(252)}`]) {
    assert.throws(() => new PosixSemaphore(bad), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }, bad);
  }
  const longest = semaphoreName(t).padEnd(1 + 251, 'x');
  t.after(() => PosixSemaphore.unlink(longest));
  new PosixSemaphore(longest, { create: true }).close();
  const name = semaphoreName(t);
  assert.throws(() => new PosixSemaphore(name, { value: 1 }), { code: 'ERR_INVALID_ARG_VALUE', message: /only with \{ create: true \}/ });
  assert.throws(() => new PosixSemaphore(name, { exclusive: true }), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => new PosixSemaphore(name, { create: 'yes' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.equal(existsSync(fileOf(name)), false, 'no failed call created the semaphore');
  const semaphore = newSemaphore(t);
  await assert.rejects(() => semaphore.wait({ timeout: Number.NaN }), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(() => semaphore.wait({ signal: {} as never }), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('close is idempotent, ends pending waits with InvalidStateError having taken nothing, and later calls fail clearly', { skip }, async (t) => {
  const semaphore = newSemaphore(t);
  const other = new PosixSemaphore(semaphore.name);
  t.after(() => other.close());
  const waiting = semaphore.wait();
  setTimeout(() => semaphore.close(), 10);
  await assert.rejects(waiting, { name: 'InvalidStateError', message: /closed while this call waited/ });
  semaphore.close();
  assert.equal(semaphore.closed, true);
  other.post();
  assert.equal(other.value, 1, 'the ended wait took nothing');
  await assert.rejects(() => semaphore.wait(), { name: 'InvalidStateError', message: /was closed/ });
  assert.throws(() => semaphore.tryWait(), { name: 'InvalidStateError' });
  assert.throws(() => semaphore.post(), { name: 'InvalidStateError' });
  assert.throws(() => semaphore.value, { name: 'InvalidStateError' });
});

test('unlink is idempotent, works after close, and the static form says whether there was a semaphore', { skip }, (t) => {
  const name = semaphoreName(t);
  const semaphore = new PosixSemaphore(name, { create: true });
  semaphore.close();
  semaphore.unlink();
  semaphore.unlink();
  assert.equal(existsSync(fileOf(name)), false);
  assert.equal(PosixSemaphore.unlink(name), false);
});

test('a semaphore outlives a SIGKILLed creator with its value, until unlinked by name', { skip, timeout: 60_000 }, async (t) => {
  const name = semaphoreName(t);
  const peer = startNode(
    t,
    `import { PosixSemaphore } from 'multiproc/ipc';
     new PosixSemaphore(${JSON.stringify(name)}, { create: true, exclusive: true, value: 5 });
     console.log('created');
     setInterval(() => {}, 1000);`,
  );
  assert.equal(await peer.nextLine(), 'created');
  peer.child.kill('SIGKILL');
  assert.equal(await peer.exited(), 'SIGKILL');
  const semaphore = new PosixSemaphore(name);
  t.after(() => semaphore.close());
  assert.equal(semaphore.value, 5);
  assert.equal(PosixSemaphore.unlink(name), true);
  assert.equal(existsSync(fileOf(name)), false);
});

forEachContext((context) => {
  test('a semaphore travels to a pool task by name and is posted there', { skip, timeout: 60_000 }, async (t) => {
    const semaphore = newSemaphore(t);
    await using pool = new Pool({ processes: 1, context });
    const waiting = semaphore.wait();
    assert.equal(await pool.apply(postTimes, [semaphore, 2]), semaphore.name);
    await waiting;
    assert.equal(semaphore.value, 1);
    assert.equal(semaphore.closed, false, 'the copy closed in the task is not this one');
  });
});
