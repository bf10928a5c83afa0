// Timeouts no timer can measure (1e300 ms, Infinity) wait quietly, as "no timeout": each wait
// runs in a child of its own that reports the CPU time it used over a window of waiting, then
// releases the wait and reports how it resolved. Measured as CPU time, never as wall-clock time.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { loadNative } from '../../src/native/loader.ts';
import { checkTimeout } from '../../src/base/validate.ts';
import { rootEnvironment } from '../helpers/tracker.ts';

const run = promisify(execFile);
const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
const skip = loadNative() ? false : 'the native addon is not built here';

/** CPU time a quiet wait may use over the window (a spinning one used ~400 ms of it). */
const QUIET_CPU_MS = 100;
const WINDOW_MS = 500;

interface WaitCase {
  /** Sets up, then `start(TIMEOUT)` begins the wait (not awaited) and returns its promise. */
  setup: string;
  /** Releases the wait once the window is over. */
  release: string;
  /** What the wait resolves to once released (JSON). */
  expected: unknown;
}

const cases: Record<string, WaitCase> = {
  'Event.wait': {
    setup: 'const event = new Event(); const start = (t) => event.wait(t);',
    release: 'event.set();',
    expected: true,
  },
  'Queue.get': {
    setup: 'const queue = new Queue(); const start = (t) => queue.get({ timeout: t });',
    release: "await queue.put('item');",
    expected: 'item',
  },
  'Lock.acquire': {
    setup: 'const lock = new Lock(); await lock.acquire(); const start = (t) => lock.acquire({ timeout: t });',
    release: 'lock.release();',
    expected: true,
  },
  'Condition.wait': {
    setup: 'const condition = new Condition(); await condition.acquire(); const start = (t) => condition.wait(t).finally(() => condition.release());',
    release: 'await condition.acquire(); condition.notify(); condition.release();',
    expected: true,
  },
  'Connection.poll': {
    setup: 'const [reader, writer] = Pipe(); const start = (t) => reader.poll(t);',
    release: "writer.send('message');",
    expected: true,
  },
  'Process.join': {
    setup: `const event = new Event();
      const child = new Process({ target: async (released) => { await released.wait(); }, args: [event] });
      child.start();
      const start = (t) => child.join(t).then(() => child.exitCode);`,
    release: 'event.set();',
    expected: 0,
  },
  'AsyncResult.get': {
    setup: `const event = new Event();
      const pool = new Pool(1);
      const result = pool.applyAsync(async (released) => { await released.wait(); return 42; }, [event]);
      const start = (t) => result.get(t).finally(() => { pool.close(); return pool.join(); });`,
    release: 'event.set();',
    expected: 42,
  },
  'Barrier.wait': {
    setup: 'const barrier = new Barrier(2); const start = (t) => barrier.wait(t).then((index) => index === 0 || index === 1);',
    release: 'await barrier.wait();',
    expected: true,
  },
  'Semaphore.acquire': {
    setup: 'const semaphore = new Semaphore(0); const start = (t) => semaphore.acquire({ timeout: t });',
    release: 'semaphore.release();',
    expected: true,
  },
  'Future.result': {
    // A worker thread's start counts in this process's CPU time: it is over before the window.
    setup: `const event = new Event();
      const started = new Event();
      const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
      const future = executor.submit(async (running, released) => { running.set(); await released.wait(); return 7; }, started, event);
      await started.wait();
      const start = (t) => future.result(t).finally(() => executor.shutdown());`,
    release: 'event.set();',
    expected: 7,
  },
  'wait on a connection': {
    setup: 'const [reader, writer] = Pipe(); const start = (t) => wait([reader], t).then((ready) => ready.length);',
    release: "writer.send('message');",
    expected: 1,
  },
};

/** The child's program: start the wait, measure CPU over the window, release, report. */
function program(waitCase: WaitCase, timeout: string): string {
  return `import { Barrier, Condition, Event, Lock, Pipe, Pool, Process, Queue, Semaphore, ThreadPoolExecutor, wait } from 'multiproc';
    ${waitCase.setup}
    const waiting = start(${timeout});
    let settledEarly = false;
    waiting.then(() => { settledEarly = true; }, () => { settledEarly = true; });
    const before = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, ${WINDOW_MS})); // the measuring window
    const used = process.cpuUsage(before);
    const early = settledEarly;
    ${waitCase.release}
    const outcome = await waiting;
    console.log(JSON.stringify({ cpuMs: (used.user + used.system) / 1000, settledEarly: early, outcome }));`;
}

const runs: [string, string][] = [
  ...Object.keys(cases).map((name): [string, string] => [name, '1e300']),
  ['Event.wait', 'Infinity'],
  ['Queue.get', 'Infinity'],
  ['Process.join', 'Infinity'],
  ['AsyncResult.get', 'Infinity'],
  ['Future.result', 'Infinity'],
];

test('a timeout up to what timers measure is kept; beyond it, or Infinity, means no timeout', () => {
  assert.equal(checkTimeout('t', 0), 0);
  assert.equal(checkTimeout('t', 2 ** 31 - 1), 2 ** 31 - 1);
  for (const huge of [2 ** 31, 1e300, Number.POSITIVE_INFINITY]) assert.equal(checkTimeout('t', huge), undefined);
  assert.throws(() => checkTimeout('Event.wait: "timeout"', -1), { code: 'ERR_OUT_OF_RANGE', message: /^Event\.wait: "timeout"/ });
  assert.throws(() => checkTimeout('Event.wait: "timeout"', Number.NaN), { code: 'ERR_INVALID_ARG_TYPE' });
});

for (const [name, timeout] of runs) {
  const held = name === 'Lock.acquire' ? ' on a held lock' : '';
  test(`${name} with a timeout of ${timeout} ms${held} waits quietly until released, then resolves as without a timeout`, { skip }, async () => {
    // execFile's timeout only ends a hung child (a bound, not an assertion), so nothing outlives the test.
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', program(cases[name]!, timeout)], {
      cwd: packageRoot,
      timeout: 60_000,
      env: rootEnvironment(),
    });
    const report = JSON.parse(stdout) as { cpuMs: number; settledEarly: boolean; outcome: unknown };
    assert.equal(report.settledEarly, false, 'the wait ended before anything released it');
    assert.deepEqual(report.outcome, cases[name]!.expected);
    assert.ok(report.cpuMs < QUIET_CPU_MS, `${name}(${timeout}) used ${report.cpuMs} ms of CPU over ${WINDOW_MS} ms of waiting`);
  });
}
