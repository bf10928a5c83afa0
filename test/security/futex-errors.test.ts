// The futex waits under every lock, event and queue: a timeout too long for a timespec waits
// forever (it used to be EINVAL, answered as a wake-up in a loop that spun a core), and a wait
// the kernel refuses is an error naming the call, never something a caller retries at once.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { loadNative } from '../../src/native/loader.ts';
import type { SharedBlock } from '../../src/memory/arena.ts';
import { waitWord } from '../../src/base/word-wait.ts';
import { eventually } from '../helpers/contexts.ts';

const native = loadNative();
const skip = native ? false : 'the native addon is not built here';
const addonPath = new URL('../../build/Release/multiproc.node', import.meta.url).pathname;

/** A word whose page the kernel cannot reach: its segment was truncated after it was mapped. */
function unreachableWord(): SharedArrayBuffer {
  const fd = native!.memfdCreate('multiproc-test-truncated');
  try {
    native!.resize(fd, 4096);
    const buffer = native!.mapShared(fd, 4096);
    native!.resize(fd, 0);
    return buffer;
  } finally {
    native!.closeFd(fd);
  }
}

const failedWait = { code: 'EFAULT', syscall: 'futex', message: /^futex\(FUTEX_WAIT\) failed: EFAULT/ };

test('a blocking futex wait the kernel refuses throws an error naming the call and the errno', { skip }, () => {
  assert.throws(() => native!.futexWait(unreachableWord(), 0, 0, 1000), failedWait);
});

test('an asynchronous futex wait the kernel refuses calls back with an error, once', { skip }, async () => {
  const outcomes: unknown[] = [];
  await new Promise<void>((resolve) =>
    native!.futexWaitAsync(unreachableWord(), 0, 0, 1e300, (outcome) => {
      outcomes.push(outcome);
      resolve();
    }),
  );
  assert.equal(outcomes.length, 1);
  assert.ok(outcomes[0] instanceof Error);
  assert.equal((outcomes[0] as NodeJS.ErrnoException).code, 'EFAULT');
  assert.match((outcomes[0] as Error).message, failedWait.message);
});

test('a shared word whose wait fails rejects the waiter instead of waking it (no retry loop above)', { skip }, async () => {
  const buffer = unreachableWord();
  const block: SharedBlock = { buffer, byteOffset: 0, byteLength: 4096, words: new Int32Array(buffer), isNative: true };
  await assert.rejects(waitWord(block, 0, 0, undefined), failedWait);
});

for (const timeoutMs of [1e300, Number.POSITIVE_INFINITY, 2 ** 64]) {
  test(`a futex wait with a timeout of ${timeoutMs} ms waits until woken (no timespec the kernel refuses)`, { skip }, async (t) => {
    const fd = native!.memfdCreate('multiproc-test-long-wait');
    native!.resize(fd, 8);
    const buffer = native!.mapShared(fd, 8);
    native!.closeFd(fd);
    const worker = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       const native = require(${JSON.stringify(addonPath)});
       try { parentPort.postMessage(native.futexWait(workerData.buffer, 0, 0, workerData.timeoutMs)); }
       catch (error) { parentPort.postMessage(error.message); }`,
      { eval: true, workerData: { buffer, timeoutMs } },
    );
    t.after(() => worker.terminate());
    const outcome = once(worker, 'message');
    // The word never changes, so only a wake ends the wait: wake until one reaches a waiter.
    assert.ok(await eventually(() => native!.futexWake(buffer, 0, 1) === 1), 'the worker never waited');
    assert.deepEqual(await outcome, ['ok']);
  });
}
