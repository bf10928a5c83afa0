// Every awaited wait of the sync objects holds the event loop open until it settles: a program
// whose last act is the wait, settled by another process (a daemon child, which keeps nothing
// alive), runs on past it and exits 0 instead of leaving with status 13.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { loadNative } from '../../src/native/loader.ts';

const run = promisify(execFile);
const needsAddon = loadNative() ? false : 'the other side is a process: needs the native addon';
const fixture = new URL('../fixtures/sync-tasks.ts', import.meta.url).href;

/** A program: `setup` makes the objects and starts the helper (a daemon child), `wait` is its last await. */
function program(setup: string, wait: string): string {
  return `const mp = await import('multiproc');
    const tasks = await import(${JSON.stringify(fixture)});
    const parked = new mp.Event();
    const ready = new mp.Event();
    const start = (target, args) => new mp.Process({ target, args, daemon: true }).start();
    ${setup}
    parked.set();
    ${wait}
    console.log('after the wait');`;
}

const cases: [string, string, string][] = [
  ['Lock.acquire', `const lock = new mp.Lock(); start(tasks.releaseWhenParked, [lock, ready, parked]); await ready.wait();`, 'await lock.acquire();'],
  ['RLock.acquire', `const lock = new mp.RLock(); start(tasks.releaseWhenParked, [lock, ready, parked]); await ready.wait();`, 'await lock.acquire();'],
  ['Semaphore.acquire', `const lock = new mp.Semaphore(1); start(tasks.releaseWhenParked, [lock, ready, parked]); await ready.wait();`, 'await lock.acquire();'],
  ['BoundedSemaphore.acquire', `const lock = new mp.BoundedSemaphore(1); start(tasks.releaseWhenParked, [lock, ready, parked]); await ready.wait();`, 'await lock.acquire();'],
  ['Lock.hold', `const lock = new mp.Lock(); start(tasks.releaseWhenParked, [lock, ready, parked]); await ready.wait();`, 'await lock.hold();'],
  ['Event.wait', `const event = new mp.Event(); start(tasks.setWhenParked, [event, parked]);`, 'await event.wait();'],
  ['Condition.wait', `const condition = new mp.Condition(); start(tasks.notifyWhenParked, [condition, parked]); await condition.acquire();`, 'await condition.wait(); condition.release();'],
  [
    'Condition.waitFor',
    `const condition = new mp.Condition(); let calls = 0; start(tasks.notifyWhenParked, [condition, parked]); await condition.acquire();`,
    'await condition.waitFor(() => ++calls > 1); condition.release();',
  ],
  ['Barrier.wait', `const barrier = new mp.Barrier(2); start(tasks.arriveWhenParked, [barrier, parked]);`, 'await barrier.wait();'],
];

for (const [name, setup, wait] of cases) {
  test(`a program whose last act is ${name}, settled by another process, runs past the await and exits 0`, { skip: needsAddon, timeout: 60_000 }, async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program(setup, wait)], { timeout: 50_000 });
    assert.equal(stdout, 'after the wait\n');
  });
}

test('without the addon, a program whose last act is a wait settled by a daemon thread runs past the await', { timeout: 60_000 }, async () => {
  const source = `const mp = await import('multiproc');
    const tasks = await import(${JSON.stringify(fixture)});
    const event = new mp.Event();
    const parked = new mp.Event();
    new mp.Thread({ target: tasks.setWhenParked, args: [event, parked], daemon: true }).start();
    parked.set();
    await event.wait();
    console.log('after the wait');`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {
    env: { ...process.env, MULTIPROC_NO_NATIVE: '1' },
    timeout: 50_000,
  });
  assert.equal(stdout, 'after the wait\n');
});
