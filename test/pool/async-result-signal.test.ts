// AsyncResult.get/wait(timeout?, { signal }?): aborting rejects with the signal's reason; the
// work goes on and a later get() has its result.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pool } from 'multiproc';
import { endLater } from '../fixtures/wait-tasks.mjs';
import { forEachContext } from '../helpers/contexts.ts';
import { abortSoon } from '../helpers/abort.ts';

forEachContext((context) => {
  test('an aborted get or wait rejects with the reason; the task finishes and get() returns its result', async (t) => {
    const pool = new Pool({ processes: 1, context });
    t.after(() => pool.terminate());
    const result = pool.applyAsync(endLater);
    await assert.rejects(result.get(undefined, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    const { signal, reason } = abortSoon();
    await assert.rejects(result.wait(null, { signal }), (error) => error === reason);
    assert.equal(await result.get(), 'ended');
    await assert.rejects(result.get(0, { signal: 'no' as never }), { code: 'ERR_INVALID_ARG_TYPE', message: /AsyncResult\.get: "signal"/ });
  });
});
