import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { activeChildren, currentProcess, InvalidStateError, Process } from 'multiproc';
import { exitWith, spinForever, square, writeEnvironment, writeIdentity } from '../fixtures/tasks.ts';
import { endAfter, forEachContext } from '../helpers/contexts.ts';

const scratch = mkdtempSync(join(tmpdir(), 'multiproc-process-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

forEachContext((context) => {
  const prefix = context === 'thread' ? 'Thread' : 'Process';

  test('start, join and a successful exitCode of 0', async (t) => {
    const child = endAfter(t, new Process({ target: square, args: [3], context }));
    assert.equal(child.pid, undefined);
    assert.equal(child.exitCode, null);
    assert.match(child.name, new RegExp(`^${prefix}-\\d+$`));
    child.start();
    assert.equal(typeof child.pid, 'number');
    assert.equal(child.isAlive(), true);
    await child.join();
    assert.equal(child.exitCode, 0);
    assert.equal(child.isAlive(), false);
  });

  test('the child knows its name, ids and parent, and is not isMain', async (t) => {
    const path = join(scratch, `identity-${context}.json`);
    const child = endAfter(t, new Process({ target: writeIdentity, args: [path], name: 'worker-a', context }));
    child.start();
    await child.join();
    const seen = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(seen.current.name, 'worker-a');
    assert.equal(seen.current.pid, child.pid);
    assert.equal(seen.current.uid, process.getuid!());
    assert.equal(seen.parent.pid, process.pid);
    assert.equal(seen.parent.name, 'MainProcess');
    assert.deepEqual(seen.authkey, [...currentProcess().authkey]);
    assert.equal(seen.isMain, false);
    if (context === 'process') assert.equal(seen.current.ppid, process.pid);
  });

  test('process.exit(n) in the target becomes exitCode n', async (t) => {
    const child = endAfter(t, new Process({ target: exitWith, args: [7], context }));
    child.start();
    await child.join();
    assert.equal(child.exitCode, 7);
  });

  test('an uncaught error in the target gives exitCode 1', async (t) => {
    const child = endAfter(t, new Process({ target: () => { throw new Error('expected in this test'); }, context }));
    child.start();
    await child.join();
    assert.equal(child.exitCode, 1);
  });

  test('terminate() gives exitCode -15 and kill() -9, even in a busy child', async (t) => {
    const terminated = endAfter(t, new Process({ target: spinForever, context }));
    const killed = endAfter(t, new Process({ target: spinForever, context }));
    terminated.start();
    killed.start();
    await terminated.join(50);
    assert.equal(terminated.isAlive(), true); // join(timeout) returns while it still runs
    terminated.terminate();
    killed.kill();
    await Promise.all([terminated.join(), killed.join()]);
    assert.equal(terminated.exitCode, -15);
    assert.equal(killed.exitCode, -9);
  });

  test('activeChildren lists running children only', async (t) => {
    const child = endAfter(t, new Process({ target: spinForever, context }));
    child.start();
    assert.ok(activeChildren().includes(child));
    child.kill();
    await child.join();
    assert.ok(!activeChildren().includes(child));
  });

  test('misuse is refused with InvalidStateError', async (t) => {
    const child = endAfter(t, new Process({ target: spinForever, context }));
    await assert.rejects(child.join(), InvalidStateError);
    child.start();
    assert.throws(() => child.start(), InvalidStateError);
    assert.throws(() => child.close(), InvalidStateError);
    assert.throws(() => {
      child.daemon = true;
    }, InvalidStateError);
    child.kill();
    await child.join();
    child.close();
    assert.throws(() => child.isAlive(), InvalidStateError);
  });
});

test('bad arguments to Process are refused with TypeError naming them', () => {
  assert.throws(() => new Process({ target: 5 as never }), { name: 'TypeError', message: /"target"/ });
  assert.throws(() => new Process({ target: square, args: 5 as never }), { name: 'TypeError', message: /"args"/ });
  assert.throws(() => new Process({ target: square, daemon: 'yes' as never }), { name: 'TypeError', message: /"daemon"/ });
  assert.throws(() => new Process({ target: square, context: 'fork' as never }), { name: 'TypeError', message: /"context"/ });
  assert.throws(() => new Process({ target: square, args: [() => 1] as never }).start(), {
    name: 'TypeError',
    message: /args\[0\]: functions cannot be sent/,
  });
});

test('a child started from a warm spare sees the current directory and environment', async (t) => {
  const warmUp = endAfter(t, new Process({ target: square, args: [1], context: 'process' }));
  warmUp.start();
  await warmUp.join(); // leaves a spare booted for the next start
  const path = join(scratch, 'environment.json');
  process.env.MULTIPROC_TEST_VALUE = 'changed after the spare booted';
  try {
    const child = endAfter(t, new Process({ target: writeEnvironment, args: [path], context: 'process' }));
    child.start();
    await child.join();
    const seen = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(seen.value, 'changed after the spare booted');
    assert.equal(seen.cwd, process.cwd());
  } finally {
    delete process.env.MULTIPROC_TEST_VALUE;
  }
});
