// { signal } on Queue.get/put and JoinableQueue.join: aborting rejects with the signal's reason
// and loses or duplicates nothing; the items move between real processes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JoinableQueue, Process, Queue, SimpleQueue } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';
import { putNow, takeAndFinish, takeOne } from '../fixtures/wait-tasks.mjs';
import { abortSoon } from '../helpers/abort.ts';

const skip = loadNative() ? false : 'the native addon is not built here';

/** Runs `target(...args)` in a child process and waits for it to end. */
async function inChild(target: (...args: never[]) => unknown, ...args: unknown[]): Promise<void> {
  const child = new Process({ target: target as (...args: unknown[]) => unknown, args });
  child.start();
  await child.join();
  assert.equal(child.exitCode, 0);
}


test('an already-aborted signal rejects get and put at once, taking and putting nothing', { skip }, async (t) => {
  const queue = new Queue<string>(1);
  t.after(() => queue.close());
  queue.putNowait('kept');
  const signal = AbortSignal.abort();
  await assert.rejects(queue.get({ signal }), { name: 'AbortError' });
  await assert.rejects(queue.put('refused', { signal, block: false }), { name: 'AbortError' });
  assert.equal(queue.qsize(), 1);
  assert.equal(await queue.get(), 'kept');
  await assert.rejects(queue.put('refused', { signal }), { name: 'AbortError' });
  assert.equal(queue.empty(), true);
});

test('an aborted get takes nothing: an item put afterwards by another process is there for the next get', { skip }, async (t) => {
  const queue = new Queue<string>();
  t.after(() => queue.close());
  const { signal, reason } = abortSoon();
  await assert.rejects(queue.get({ signal }), (error) => error === reason);
  await inChild(putNow, queue, 'after the abort');
  assert.equal(await queue.get({ timeout: 30_000 }), 'after the abort');
  assert.equal(queue.empty(), true);
});

test('an aborted put on a full queue does not enqueue; a consumer process gets only what was put', { skip }, async (t) => {
  const queue = new Queue<string>(1);
  t.after(() => queue.close());
  await queue.put('first');
  const { signal, reason } = abortSoon();
  await assert.rejects(queue.put('aborted', { signal }), (error) => error === reason);
  assert.equal(queue.qsize(), 1);
  await inChild(takeOne, queue);
  assert.equal(queue.empty(), true);
  await queue.put('second', { block: false }); // the aborted put left no reservation behind
  assert.equal(await queue.get(), 'second');
});

test('an aborted SimpleQueue get takes nothing either', { skip }, async (t) => {
  const queue = new SimpleQueue<number>();
  t.after(() => queue.close());
  const { signal, reason } = abortSoon();
  await assert.rejects(queue.get({ signal }), (error) => error === reason);
  await inChild(putNow, queue, 7);
  assert.equal(await queue.get(), 7);
});

test('an aborted JoinableQueue.join rejects; a later join still resolves once a process marks the items done', { skip }, async (t) => {
  const queue = new JoinableQueue<number>();
  t.after(() => queue.close());
  assert.ok(queue instanceof Queue);
  await queue.put(1);
  await assert.rejects(queue.join({ signal: AbortSignal.abort() }), { name: 'AbortError' });
  const { signal, reason } = abortSoon();
  await assert.rejects(queue.join({ signal }), (error) => error === reason);
  const joined = queue.join();
  await inChild(takeAndFinish, queue);
  await joined;
});

test('a signal that is not an AbortSignal is a TypeError naming it', { skip }, async (t) => {
  const queue = new JoinableQueue();
  t.after(() => queue.close());
  await assert.rejects(queue.get({ signal: 'stop' as never }), { code: 'ERR_INVALID_ARG_TYPE', message: /Queue\.get: "signal"/ });
  await assert.rejects(queue.put(1, { signal: {} as never }), { code: 'ERR_INVALID_ARG_TYPE', message: /Queue\.put: "signal"/ });
  await assert.rejects(queue.join({ signal: 1 } as never), { code: 'ERR_INVALID_ARG_TYPE', message: /JoinableQueue\.join: "signal"/ });
  await assert.rejects(queue.join(5 as never), { code: 'ERR_INVALID_ARG_TYPE', message: /JoinableQueue\.join: "options"/ });
  assert.equal(queue.qsize(), 0);
});
