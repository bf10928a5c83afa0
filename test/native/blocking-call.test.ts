// Blocking calls on the addon's waiting threads: the event loop keeps running while one waits, a
// timeout or an abort interrupts the waiting thread (the call does nothing), and a call that
// completes is never reported as interrupted. The futex wait is the blocking call used here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockingCall } from '../../src/base/blocking-call.ts';
import { TimeoutError } from '../../src/base/errors.ts';
import { loadNative } from '../../src/native/loader.ts';

const native = loadNative();
const skip = native ? false : 'the native addon is not built here';

/** A futex wait on word 0 of `words` while it holds 0, as a blocking call. */
function waitOnWord(words: Int32Array, limits: { timeoutMs?: number; signal?: AbortSignal }) {
  return blockingCall<string>('wait on word 0', limits, (callback) => native!.futexWaitAsync(words.buffer as SharedArrayBuffer, 0, 0, -1, callback));
}

test('a wait with no timed form ends at its timeout with TimeoutError, while timers keep running', { skip }, async () => {
  const words = new Int32Array(new SharedArrayBuffer(8));
  let ticks = 0;
  const ticking = setInterval(() => ticks++, 5);
  try {
    await assert.rejects(waitOnWord(words, { timeoutMs: 100 }), (error) => error instanceof TimeoutError && /wait on word 0: not done within 100 ms/.test(error.message));
  } finally {
    clearInterval(ticking);
  }
  assert.ok(ticks > 0, 'a timer ran while the wait was pending');
});

test('an aborted wait rejects with the signal reason, and one already aborted never starts', { skip }, async () => {
  const words = new Int32Array(new SharedArrayBuffer(8));
  const controller = new AbortController();
  const waiting = waitOnWord(words, { signal: controller.signal });
  setTimeout(() => controller.abort(new Error('stop waiting')), 20);
  await assert.rejects(waiting, /stop waiting/);
  assert.throws(() => waitOnWord(words, { signal: controller.signal }), /stop waiting/);
});

test('a call that completes before its deadline resolves with its own outcome', { skip }, async () => {
  const words = new Int32Array(new SharedArrayBuffer(8));
  const waiting = waitOnWord(words, { timeoutMs: 60_000 });
  setTimeout(() => {
    Atomics.store(words, 0, 1);
    native!.futexWake(words.buffer as SharedArrayBuffer, 0, 1);
  }, 20);
  assert.equal(await waiting, 'ok');
});

test('many calls pending at once each end at their own timeout', { skip }, async () => {
  const words = new Int32Array(new SharedArrayBuffer(8));
  const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => waitOnWord(words, { timeoutMs: 50 })));
  assert.ok(outcomes.every((outcome) => outcome.status === 'rejected' && outcome.reason instanceof TimeoutError));
});

test('interrupting a finished call says so', { skip }, async () => {
  const words = new Int32Array(new SharedArrayBuffer(8));
  Atomics.store(words, 0, 5);
  let id = 0;
  const outcome = await new Promise((resolve) => {
    id = native!.futexWaitAsync(words.buffer as SharedArrayBuffer, 0, 0, -1, resolve);
  });
  assert.equal(outcome, 'not-equal');
  assert.equal(native!.interruptBlockingCall(id), false);
});
