// Process.join(timeout?, { signal }?): aborting rejects with the signal's reason and leaves the
// child running; a later join still waits for it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Process } from 'multiproc';
import { spin } from '../fixtures/wait-tasks.mjs';
import { forEachContext } from '../helpers/contexts.ts';
import { abortSoon } from '../helpers/abort.ts';

forEachContext((context) => {
  test('an aborted join rejects with the reason; the child runs on and a later join sees it end', async (t) => {
    const child = new Process({ target: spin, daemon: true, context });
    child.start();
    t.after(async () => {
      child.kill();
      await child.join();
    });
    await assert.rejects(child.join(undefined, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    const { signal, reason } = abortSoon();
    await assert.rejects(child.join(null, { signal }), (error) => error === reason);
    assert.equal(child.isAlive(), true);
    child.terminate();
    await child.join(undefined, { signal: new AbortController().signal });
    assert.equal(child.exitCode, -15);
  });

  test('join checks its signal option', async (t) => {
    const child = new Process({ target: spin, daemon: true, context });
    child.start();
    t.after(async () => {
      child.kill();
      await child.join();
    });
    await assert.rejects(child.join(undefined, { signal: 'stop' as never }), { code: 'ERR_INVALID_ARG_TYPE', message: /Process\.join: "signal"/ });
    await assert.rejects(child.join(10, 'stop' as never), { code: 'ERR_INVALID_ARG_TYPE', message: /Process\.join: "options"/ });
  });
});
