import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuCount, getAllStartMethods, getContext, getStartMethod, InvalidStateError, Pool, Process, setStartMethod, ThreadPool } from 'multiproc';
import { square, workerIdentity } from '../fixtures/tasks.ts';

const parentPid = process.pid;

test("getContext('thread') gives a Pool whose workers are threads of this process", async () => {
  const context = getContext('thread');
  assert.equal(context.method, 'thread');
  await using pool = new context.Pool(1);
  const [pid, threadId] = (await pool.apply(workerIdentity)).split(':').map(Number);
  assert.equal(pid, parentPid);
  assert.ok(threadId > 0);
  assert.equal(pool.context, 'thread');
});

test("getContext('process') gives a Pool whose workers are other processes", async () => {
  await using pool = new (getContext('process').Pool)({ processes: 1 });
  const [pid] = (await pool.apply(workerIdentity)).split(':').map(Number);
  assert.notEqual(pid, parentPid);
});

test('a context carries the whole API', () => {
  const context = getContext('thread');
  assert.equal(context.cpuCount, cpuCount);
  assert.equal(context.ThreadPool, ThreadPool);
  assert.equal(context.getStartMethod(), 'thread');
  assert.equal(typeof context.register, 'function');
  assert.equal(context.InvalidStateError, InvalidStateError);
  assert.equal(getContext('thread'), context);
});

test('a pool without a size has cpuCount() workers', async () => {
  await using pool = new ThreadPool();
  assert.equal(pool.processes, cpuCount());
});

test('setStartMethod sets the default once, as Python: again needs force, and reading the default fixes it', async () => {
  setStartMethod(null, { force: true }); // unset, whatever this file did before
  try {
    assert.equal(getStartMethod({ allowNone: true }), null);
    setStartMethod('spawn');
    assert.equal(getStartMethod(), 'spawn'); // the name as it was set
    const pool = new Pool(1);
    await pool.terminate();
    assert.equal(pool.context, 'process');
    assert.throws(() => setStartMethod('spawn'), { name: 'InvalidStateError', message: /already set to "spawn"[\s\S]*\{ force: true \}/ });
    setStartMethod('thread', { force: true });
    await using threads = new Pool(1);
    assert.equal(threads.context, 'thread');
    setStartMethod(null, { force: true });
    assert.equal(getStartMethod(), 'process'); // read: fixed to the default
    assert.throws(() => setStartMethod('thread'), InvalidStateError);
  } finally {
    setStartMethod(null, { force: true });
  }
});

test("getAllStartMethods() lists 'process', 'thread', 'spawn' and 'forkserver', at the root and on contexts", () => {
  assert.deepEqual(getAllStartMethods(), ['process', 'thread', 'spawn', 'forkserver']);
  assert.deepEqual(getContext('thread').getAllStartMethods(), getAllStartMethods());
});

for (const method of ['spawn', 'forkserver'] as const) {
  test(`'${method}' gives a context of OS processes that reports its own name`, async (t) => {
    const context = getContext(method);
    assert.equal(context.method, method);
    assert.equal(context.getStartMethod(), method);
    assert.notEqual(context, getContext('process'));
    await using pool = new context.Pool(1);
    assert.equal(pool.context, 'process');
    const [pid] = (await pool.apply(workerIdentity)).split(':').map(Number);
    assert.notEqual(pid, parentPid);
    const child = new Process({ target: square, args: [2], context: method });
    assert.equal(child.context, 'process');
    child.start();
    t.after(async () => {
      if (child.isAlive()) child.kill();
      await child.join();
    });
    await child.join();
    assert.notEqual(child.pid, parentPid);
    assert.equal(child.exitCode, 0);
  });
}

test("'fork' is refused everywhere a start method is named, saying why Node cannot fork and what to use", () => {
  const explained = (where: string) => ({
    name: 'TypeError',
    code: 'ERR_INVALID_ARG_VALUE',
    message: new RegExp(`^${where} must be one of "process", "thread", "spawn", "forkserver", received "fork"\\. Node cannot fork a running program: a Node process is multi-threaded[\\s\\S]*Use "process"[\\s\\S]*"thread"`),
  });
  assert.throws(() => getContext('fork' as never), explained('getContext: "method"'));
  assert.throws(() => setStartMethod('fork' as never, { force: true }), explained('setStartMethod: "method"'));
  assert.throws(() => new Pool({ context: 'fork' as never }), explained('Pool: "context"'));
  assert.throws(() => new Process({ target: square, context: 'fork' as never }), explained('Process: "context"'));
});

test('an unknown start method is refused with a TypeError naming it', () => {
  assert.throws(() => getContext('posix' as never), { name: 'TypeError', message: /"method" must be one of "process", "thread", "spawn", "forkserver", received "posix"\.$/ });
  assert.throws(() => setStartMethod(42 as never, { force: true }), TypeError);
});
