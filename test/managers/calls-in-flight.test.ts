// Manager calls that are in flight together: sent without awaiting each, answered each to its own
// caller; calls that wait in the manager; and a manager that goes away while calls wait.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EOFError, KeyError, Manager, Process } from 'multiproc';
import { type Outcome, pipelineCalls } from '../fixtures/manager-pipeline-tasks.ts';
import { endAfter, eventually, forEachContext, isRunning } from '../helpers/contexts.ts';

describe('manager calls in flight', { concurrency: 2 }, () => {
  test('calls made without awaiting each settle with their own answers, in order; one that fails, even at the call, fails alone', async () => {
    await using manager = await Manager();
    const dict = await manager.dict<string, number>();
    const list = await manager.list<unknown>();
    const calls = [
      dict.set('a', 1),
      list.append('first'),
      dict.pop('missing'), // KeyError in the manager
      list.append(Symbol('cannot travel') as unknown as string), // TypeError here, at the call
      dict.get('a'),
      list.append('second'),
      dict.size(),
      list.toArray(),
    ];
    const settled = await Promise.allSettled(calls);
    assert.deepEqual(
      settled.map((outcome) => outcome.status),
      ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'],
    );
    assert.ok((settled[2] as PromiseRejectedResult).reason instanceof KeyError);
    assert.equal((settled[3] as PromiseRejectedResult).reason.name, 'TypeError');
    assert.deepEqual(
      settled.filter((outcome) => outcome.status === 'fulfilled').map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value),
      [undefined, undefined, 1, undefined, 1, ['first', 'second']],
    );
  });

  forEachContext((context) => {
    test('a child sends many calls before awaiting any: they run in the order sent, and each caller gets its own answer', async (t) => {
      await using manager = await Manager();
      const list = await manager.list<number>();
      const dict = await manager.dict<string, Outcome[]>();
      const count = 200;
      const child = endAfter(t, new Process({ target: pipelineCalls, args: [list, dict, count], context }));
      child.start();
      await child.join();
      assert.equal(child.exitCode, 0);
      const indexes = Array.from({ length: count }, (_, index) => index);
      assert.deepEqual(await list.toArray(), indexes);
      const outcomes = await dict.get('outcomes');
      const appended: Outcome[] = indexes.map(() => ['ok', null]);
      appended.splice(count / 2, 0, ['error', 'KeyError']);
      assert.deepEqual(outcomes, [...appended, ['ok', count]]);
    });
  });

  test("a call that waits in the manager is answered when it is done, this process's timers running meanwhile, and the calls after it are quick again", async () => {
    await using manager = await Manager();
    const event = await manager.Event();
    const dict = await manager.dict<string, number>();
    const waiting = event.wait(); // waits in the manager until set(), longer than a brief wait
    let ticks = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (++ticks === 5) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    assert.equal(await event.isSet(), false);
    await event.set();
    assert.equal(await waiting, true);
    for (let index = 0; index < 50; index++) await dict.set('k', index);
    assert.equal(await dict.get('k'), 49);
  });

  test('a manager killed with calls in flight rejects each of them with EOFError, and the calls made after it too', async () => {
    await using manager = await Manager();
    const event = await manager.Event();
    const lock = await manager.Lock();
    const dict = await manager.dict<string, number>();
    await lock.acquire();
    const inFlight = [event.wait(), lock.acquire(), event.wait(60_000), dict.set('k', 1)];
    assert.equal(await dict.get('k'), 1); // every call above has reached the manager
    const pid = manager.pid!;
    process.kill(pid, 'SIGKILL');
    const settled = await Promise.allSettled(inFlight.slice(0, 3));
    for (const outcome of settled) {
      assert.equal(outcome.status, 'rejected');
      assert.ok((outcome as PromiseRejectedResult).reason instanceof EOFError, String((outcome as PromiseRejectedResult).reason));
    }
    await assert.rejects(dict.get('k')); // its socket refuses (or, while the kill is under way, drops the handshake)
    assert.ok(await eventually(() => !isRunning(pid)));
  });

  test('a manager shut down while a call waits in it rejects that call', async () => {
    const manager = await Manager();
    const event = await manager.Event();
    const waiting = assert.rejects(event.wait());
    assert.equal(await event.isSet(), false); // the wait has reached the manager
    await manager.shutdown();
    await waiting;
  });
});
