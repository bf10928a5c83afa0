import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { InvalidStateError, Pool, taskRef } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';
import { eventually, forEachContext, isRunning, killAfter } from '../helpers/contexts.ts';

const needsQueue = loadNative() === null ? 'Queue needs the native addon' : false;

const run = promisify(execFile);
const script = (name: string) => fileURLToPath(new URL(`../fixtures/scripts/${name}`, import.meta.url));

/** Runs a fixture script in a new Node process (with tsx for .ts), the way a user would. */
function runScript(name: string) {
  const loader = name.endsWith('.ts') ? ['--import', 'tsx'] : [];
  return run(process.execPath, [...loader, script(name)], { timeout: 60_000 });
}

for (const watch of ['setpriv', 'thread']) {
  test(`children exit when their parent is killed with SIGKILL, even while busy (parent watch: ${watch})`, async (t) => {
    const env = { ...process.env, MULTIPROC_PARENT_WATCH: watch };
    const parent = killAfter(t, spawn(process.execPath, ['--import', 'tsx', script('busy-parent.ts')], { stdio: ['ignore', 'pipe', 'inherit'], env }));
    const [line] = (await once(parent.stdout, 'data')) as [Buffer];
    const pids = JSON.parse(String(line)) as number[];
    assert.equal(pids.length, 3);
    assert.ok(pids.every(isRunning));
    parent.kill('SIGKILL');
    await once(parent, 'exit');
    assert.ok(await eventually(() => !pids.some(isRunning)), `still running: ${pids.filter(isRunning)}`);
  });
}

test('a daemon child is terminated when its parent exits', async () => {
  const { stdout } = await runScript('daemon-parent.ts');
  const { daemon } = JSON.parse(stdout) as { daemon: number };
  assert.ok(await eventually(() => !isRunning(daemon)), `daemon ${daemon} still running`);
});

test('an uncaught error in a child is printed as Python does and gives exitCode 1; isMain is true in the entry module', async () => {
  const { stdout, stderr } = await runScript('uncaught.ts');
  assert.match(stdout, /exitCode=1 isMain=true/);
  assert.match(stderr, /^Process Process-1:\nError: target failed/m);
});

test('a plain JavaScript program runs on plain node in both contexts', async () => {
  const { stdout } = await runScript('plain-js.mjs');
  assert.equal(stdout, 'process [1,8,27]\nthread [1,8,27]\n');
});

forEachContext((context) => {
  test('a task module that starts a pool at its top level fails with a clear bootstrapping error', async () => {
    await using pool = new Pool({ processes: 1, context });
    const ref = taskRef(new URL('../fixtures/top-level-pool.ts', import.meta.url), 'task');
    await assert.rejects(pool.apply(ref), (error: Error) => {
      assert.ok(error instanceof InvalidStateError);
      assert.match(error.message, /bootstrapping phase[\s\S]*isMain\(import\.meta\.url\)/);
      return true;
    });
  });
});

test("a subclass's run() that reads a private #field fails in the child, and the error says why", async () => {
  const { stdout, stderr } = await runScript('subclass-private-field.ts');
  assert.match(stdout, /exitCode=1/);
  assert.match(stderr, /^Process UsesPrivateField-1:\nTypeError: Cannot read private member #secret[^\n]*private #fields and #methods do not exist there/m);
});

test('a Process subclass defined in the main script runs there too, as Python re-imports __main__', { skip: needsQueue }, async () => {
  const { stdout } = await runScript('subclass-in-main.ts');
  assert.equal(stdout, 'hello world from Greeter-1\nexitCode=0\n');
});
