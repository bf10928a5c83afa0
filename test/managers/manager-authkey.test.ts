// A proxy of a BaseManager({ authkey }) reconnects in a child with its manager's authkey (its
// record carries it, over the tree's transports only), not with the child's own.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../fixtures/scripts/manager-authkey.ts', import.meta.url));

for (const withAddon of [true, false]) {
  test(`a proxy of a manager with its own authkey works in a child process and in a pool task (${withAddon ? 'shared-memory calls' : 'MULTIPROC_NO_NATIVE=1: socket calls'})`, async () => {
    const env = { ...process.env, ...(withAddon ? {} : { MULTIPROC_NO_NATIVE: '1' }) };
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { env, timeout: 60_000 });
    assert.deepEqual(JSON.parse(stdout), { exitCode: 0, fromPool: 11, value: 11 });
  });
}
