// Bug 1 of issue 11: a program whose last act is an awaited wait must not end before the wait
// settles (Node exits with status 13 when its event loop drains under a pending await). Each
// case is a real program (fixtures/scripts/last-wait.mjs, on plain node) whose wait is settled by
// a daemon child or thread that keeps nothing alive; idle objects must not keep a program alive
// either.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../../src/native/loader.ts';

const script = fileURLToPath(new URL('../fixtures/scripts/last-wait.mjs', import.meta.url));
const needsAddon = loadNative() ? false : 'the native addon is not built here';

/** Runs one case; a program that hangs is killed at the limit (a hang is a failure too). */
function runCase(name: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, name], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

function endsAfterItsWait(name: string, skip: string | false = needsAddon): void {
  test(`a program whose last act is ${name} waits for it, prints after it and exits 0`, { skip }, async () => {
    const { code, stdout, stderr } = await runCase(name);
    assert.match(stdout, new RegExp(`^after ${name}$`, 'm'), `stdout: ${stdout}\nstderr: ${stderr}`);
    assert.equal(code, 0, stderr);
  });
}

describe('awaited waits hold the event loop until they settle', { concurrency: 4 }, () => {
  for (const context of ['process', 'thread']) {
    // Joins need no addon; the other waits use shared memory (pipes, queues) or pools.
    for (const how of ['terminated', 'killed', 'running', 'timeout']) endsAfterItsWait(`${context}-join-${how}`, false);
  }
  endsAfterItsWait('connection-wait-process', false);
  for (const name of ['queue-get', 'queue-get-timeout', 'queue-put', 'joinable-join', 'simple-get', 'simple-put']) endsAfterItsWait(name);
  for (const name of ['connection-recv', 'connection-poll', 'connection-poll-timeout', 'connection-recv-bytes', 'connection-recv-bytes-into', 'connection-wait']) {
    endsAfterItsWait(name);
  }
  endsAfterItsWait('listener-accept', false);
  for (const name of ['async-result-get', 'async-result-wait', 'async-result-then', 'pool-join', 'imap-next']) endsAfterItsWait(name, false);
  for (const name of ['future-result', 'future-result-thread', 'future-exception', 'futures-wait', 'as-completed', 'executor-shutdown', 'executor-map']) {
    endsAfterItsWait(name, false);
  }
});

describe('idle objects do not keep a program alive', { concurrency: 4 }, () => {
  // Each program uses the object, then stops: it must exit by itself (a hang fails at the limit).
  for (const name of ['idle-queue', 'idle-pipe']) endsAfterItsWait(name);
  endsAfterItsWait('idle-pool', false);
});
