// The leak check that the npm test scripts preload into every test file: a file that leaves a
// child process, a worker thread or a segment behind fails and names them; a tidy file passes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Runs one fixture test file as `npm test` runs a file: its exit code and its output. */
async function runTestFile(t: { after(fn: () => unknown): void }, file: string): Promise<{ code: number | null; output: string }> {
  // Without NODE_TEST_CONTEXT: the fixture runs as a file of a test run of its own.
  const { NODE_TEST_CONTEXT: _context, ...environment } = process.env;
  const run = spawn(process.execPath, ['--import', 'tsx', '--import', './test/helpers/leak-check.mjs', '--test', file], {
    cwd: packageRoot,
    env: environment,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(run, 'exit');
  t.after(async () => {
    if (run.exitCode === null && run.signalCode === null) run.kill('SIGKILL');
    await exited;
  });
  let output = '';
  run.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
  run.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
  const [code] = await exited;
  return { code: code as number | null, output };
}

test('a test file that leaves a child, a thread and a segment behind fails, naming each of them', async (t) => {
  const { code, output } = await runTestFile(t, 'test/fixtures/leaks/leaky.test.ts');
  assert.notEqual(code, 0, output);
  const childPid = /leaked child (\d+)/.exec(output)?.[1];
  const segment = /leaked segment (\S+)/.exec(output)?.[1];
  assert.ok(childPid && segment, output);
  assert.match(output, /leak check: \S*leaky\.test\.ts left behind/);
  assert.match(output, new RegExp(`child process ${childPid} .*process\\.stdin`));
  assert.match(output, /worker thread \d+/);
  assert.match(output, new RegExp(`segment /dev/shm/${segment.replace(/^\//, '')}`));
  assert.doesNotMatch(output, /child process \d+ .*tracker-main/, 'the tree\'s resource tracker is not a leak');
});

test('a test file that cleans up in t.after passes the leak check', async (t) => {
  const { code, output } = await runTestFile(t, 'test/fixtures/leaks/tidy.test.ts');
  assert.equal(code, 0, output);
  assert.doesNotMatch(output, /leak check/);
});
