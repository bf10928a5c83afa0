// Without the native addon a manager's clients, the owner's included, call over the socket with
// plain data; the start is reported on the Process control channel all the same.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../fixtures/scripts/manager-plain.ts', import.meta.url));

for (const withAddon of [true, false]) {
  test(`a manager dict is shared with a child and holds a nested list proxy (${withAddon ? 'shared-memory calls' : 'MULTIPROC_NO_NATIVE=1: socket calls'})`, async () => {
    const env = { ...process.env, ...(withAddon ? {} : { MULTIPROC_NO_NATIVE: '1' }) };
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { env, timeout: 60_000 });
    assert.deepEqual(JSON.parse(stdout), { n: 1, exitCode: 0, items: [5] });
  });
}
