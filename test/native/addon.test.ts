// The native addon across real processes: shared memory seen by both sides without a copy,
// exact atomic counts, futex wake-ups that cross processes, and the package without the addon.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { loadNative, requireNative } from '../../src/native/loader.ts';

const run = promisify(execFile);
const loaderUrl = new URL('../../dist/native/loader.js', import.meta.url).href;
const native = loadNative();
const skip = native ? false : 'the native addon is not built here';

/** Runs a plain `node` program that loads the addon; `body` sees `native` and `name`. */
function child(body: string, name: string, env: NodeJS.ProcessEnv = process.env) {
  const program = `const { loadNative } = await import(${JSON.stringify(loaderUrl)});
const native = loadNative(); const name = ${JSON.stringify(name)};
${body}`;
  return spawn(process.execPath, ['--input-type=module', '-e', program], { stdio: ['ignore', 'pipe', 'inherit'], env });
}

function segmentName(label: string): string {
  return `/multiproc-test-${label}-${process.pid}`;
}

test('a named segment written by one process is read by another, and the reply is seen back', { skip }, async () => {
  const name = segmentName('rw');
  const fd = native!.shmOpen(name, true, true, 0o600);
  try {
    native!.resize(fd, 4096);
    const view = new Int32Array(native!.mapShared(fd, 4096));
    view[0] = 41;
    const reader = child(
      `const fd = native.shmOpen(name, false, false, 0);
       const view = new Int32Array(native.mapShared(fd, native.sizeOf(fd)));
       native.closeFd(fd);
       view[1] = view[0] + 1;`,
      name,
    );
    const [code] = await once(reader, 'exit');
    assert.equal(code, 0);
    assert.equal(view[1], 42);
  } finally {
    native!.closeFd(fd);
    native!.shmUnlink(name);
  }
});

test('two processes adding 100,000 times each with Atomics end at exactly 200,000', { skip }, async () => {
  const name = segmentName('atomics');
  const fd = native!.shmOpen(name, true, true, 0o600);
  try {
    native!.resize(fd, 8);
    const counter = new Int32Array(native!.mapShared(fd, 8));
    const adder = `const fd = native.shmOpen(name, false, false, 0);
      const counter = new Int32Array(native.mapShared(fd, 8));
      for (let i = 0; i < 100000; i++) Atomics.add(counter, 0, 1);`;
    const workers = [child(adder, name), child(adder, name)];
    await Promise.all(workers.map((worker) => once(worker, 'exit')));
    assert.equal(Atomics.load(counter, 0), 200_000);
  } finally {
    native!.closeFd(fd);
    native!.shmUnlink(name);
  }
});

test('a futex wake from this process releases a waiter in another process', { skip }, async () => {
  const name = segmentName('futex');
  const fd = native!.shmOpen(name, true, true, 0o600);
  try {
    native!.resize(fd, 8);
    const buffer = native!.mapShared(fd, 8);
    const word = new Int32Array(buffer);
    const waiter = child(
      `const fd = native.shmOpen(name, false, false, 0);
       const buffer = native.mapShared(fd, 8);
       const word = new Int32Array(buffer);
       Atomics.store(word, 1, 1); // tell the parent this side is about to wait
       const outcome = native.futexWait(buffer, 0, 0, 30000);
       console.log(outcome, Atomics.load(word, 0));`,
      name,
    );
    // Wait until the child announced itself, then publish and wake (a wake before its wait is
    // seen as 'not-equal': either way it is released and reads the new value).
    while (Atomics.load(word, 1) === 0) native!.futexWait(buffer, 4, 0, 10);
    Atomics.store(word, 0, 7);
    native!.futexWake(buffer, 0, 1);
    const [output] = (await once(waiter.stdout!, 'data')) as [Buffer];
    assert.match(String(output), /^(ok|not-equal) 7\n$/);
  } finally {
    native!.closeFd(fd);
    native!.shmUnlink(name);
  }
});

test('a timed futex wait returns timed-out; misuse is a TypeError', { skip }, () => {
  const fd = native!.memfdCreate('multiproc-test');
  native!.resize(fd, 8);
  const buffer = native!.mapShared(fd, 8);
  native!.closeFd(fd);
  assert.equal(native!.futexWait(buffer, 0, 0, 1), 'timed-out');
  assert.equal(native!.futexWait(buffer, 0, 5, 1000), 'not-equal');
  assert.throws(() => native!.futexWake(buffer, 6, 1), TypeError);
  assert.throws(() => native!.futexWait(new ArrayBuffer(8) as never, 0, 0, 1), TypeError);
});

test('system-call failures name the call and the errno', { skip }, () => {
  assert.throws(() => native!.shmOpen('/multiproc-test-absent', false, false, 0), { code: 'ENOENT', syscall: 'shm_open', message: /shm_open\("\/multiproc-test-absent"\) failed: ENOENT/ });
});

test('isProcessAlive tells a live pid from a finished one', { skip }, async () => {
  assert.equal(native!.isProcessAlive(process.pid), true);
  const finished = spawn(process.execPath, ['-e', '0']);
  await once(finished, 'exit');
  assert.equal(native!.isProcessAlive(finished.pid!), false);
});

test('without the addon the package loads, a thread pool runs, and what needs it says why', async () => {
  const program = `const { ThreadPool } = await import('multiproc');
    const { requireNative } = await import(${JSON.stringify(loaderUrl)});
    const pool = new ThreadPool(1);
    console.log(await pool.apply((x) => x + 1, [1]));
    pool.close(); await pool.join();
    try { requireNative('SharedMemory'); } catch (error) { console.log(error.code, error.message); }`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', program], {
    env: { ...process.env, MULTIPROC_NO_NATIVE: '1' },
  });
  assert.match(stdout, /^2\nERR_MP_NATIVE_UNAVAILABLE SharedMemory needs multiproc's native addon, which is unavailable: it was turned off with MULTIPROC_NO_NATIVE=1/);
  if (native) assert.equal(requireNative('x'), native);
});

test('an asynchronous futex wait is released by a wake from another process, without blocking this loop', { skip }, async () => {
  const name = segmentName('futex-async');
  const fd = native!.shmOpen(name, true, true, 0o600);
  try {
    native!.resize(fd, 8);
    const buffer = native!.mapShared(fd, 8);
    const word = new Int32Array(buffer);
    const outcome = new Promise<string | Error>((resolve) => native!.futexWaitAsync(buffer, 0, 0, 30_000, resolve));
    let ticks = 0;
    const ticking = setInterval(() => ticks++, 1);
    const waker = child(
      `const fd = native.shmOpen(name, false, false, 0);
       const buffer = native.mapShared(fd, 8);
       Atomics.store(new Int32Array(buffer), 0, 1);
       native.futexWake(buffer, 0, 1);`,
      name,
    );
    assert.match(String(await outcome), /^(ok|not-equal)$/);
    clearInterval(ticking);
    await once(waker, 'exit');
    assert.equal(Atomics.load(word, 0), 1);
    assert.ok(ticks > 0, 'the event loop kept running while the wait was pending');
  } finally {
    native!.closeFd(fd);
    native!.shmUnlink(name);
  }
});

test('asynchronous waits time out, see a changed word, and survive their worker thread ending', { skip }, async (t) => {
  const fd = native!.memfdCreate('multiproc-test');
  native!.resize(fd, 8);
  const buffer = native!.mapShared(fd, 8);
  native!.closeFd(fd);
  const wait = (offset: number, expected: number, timeoutMs: number) =>
    new Promise<string | Error>((resolve) => native!.futexWaitAsync(buffer, offset, expected, timeoutMs, resolve));
  assert.deepEqual(await Promise.all([wait(0, 0, 20), wait(0, 3, 10_000)]), ['timed-out', 'not-equal']);
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const native = require(${JSON.stringify(new URL('../../build/Release/multiproc.node', import.meta.url).pathname)});
     native.futexWaitAsync(workerData, 4, 0, 60000, () => {});
     parentPort.postMessage('waiting');`,
    { eval: true, workerData: buffer },
  );
  t.after(() => worker.terminate());
  await once(worker, 'message');
  await worker.terminate();
  Atomics.store(new Int32Array(buffer), 1, 1);
  native!.futexWake(buffer, 4, 1); // the orphaned wait ends; nothing may crash
  assert.equal(await wait(0, 0, 5), 'timed-out');
});
