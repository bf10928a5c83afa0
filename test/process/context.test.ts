import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuCount, getContext, getStartMethod, InvalidStateError, Pool, setStartMethod, ThreadPool } from 'multiproc';
import { workerIdentity } from '../fixtures/tasks.ts';

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

test('setStartMethod sets the default once; another method needs force', async () => {
  assert.equal(getStartMethod(), 'process');
  setStartMethod('thread');
  try {
    assert.equal(getStartMethod(), 'thread');
    await using pool = new Pool(1);
    assert.equal(pool.context, 'thread');
    assert.throws(() => setStartMethod('process'), InvalidStateError);
  } finally {
    setStartMethod('process', { force: true });
  }
  assert.equal(getStartMethod(), 'process');
});

test('an unknown start method is refused with a TypeError naming it', () => {
  assert.throws(() => getContext('fork' as never), { name: 'TypeError', message: /"method" must be "process" or "thread", received "fork"/ });
  assert.throws(() => setStartMethod('spawn' as never), TypeError);
});
