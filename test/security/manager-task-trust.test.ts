// Task references from a manager client resolve only to what the manager trusts (SPEC §14):
// a function its module register()ed, in a file: module under the owner's working directory.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Manager, taskRef } from 'multiproc';
import { markBarrierAction, writeMarker } from '../fixtures/trust-tasks.ts';

const refused = { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' };

function scratch(t: { after(fn: () => void): void }): string {
  const directory = mkdtempSync(join(tmpdir(), 'multiproc-trust-'));
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

test("the manager's Pool proxy refuses data: modules, node: builtins, unregistered exports, modules outside the root and inline source, and still runs a registered function", async (t) => {
  const directory = scratch(t);
  const marker = join(directory, 'marker');
  await using manager = await Manager();
  const pool = await manager.Pool(1);
  t.after(() => pool.terminate().catch(() => {}));

  const dataModule = `data:text/javascript,import { writeFileSync } from 'node:fs'; export function run(path) { writeFileSync(path, 'ran'); }`;
  await assert.rejects(pool.apply(taskRef(dataModule, 'run'), [marker]), { ...refused, message: /data: modules are refused/ });
  await assert.rejects(pool.apply(taskRef('node:child_process', 'execSync'), [`touch ${marker}`]), { ...refused, message: /node: modules are refused/ });
  await assert.rejects(pool.apply(taskRef(new URL('../fixtures/trust-tasks.ts', import.meta.url), 'writeMarkerUnregistered'), [marker]), {
    ...refused,
    message: /register\(\)ed/,
  });
  const outside = join(directory, 'outside.mjs');
  writeFileSync(outside, `import { writeFileSync } from 'node:fs'; export function run(path) { writeFileSync(path, 'ran'); }`);
  await assert.rejects(pool.apply(taskRef(pathToFileURL(outside), 'run'), [marker]), { ...refused, message: /outside the root/ });
  const inline = (path: string) => (globalThis as unknown as { process: { exit(code: number): void } }).process.exit(path.length);
  await assert.rejects(pool.apply(inline, [marker]), { ...refused, message: /source text is never compiled/ });
  await assert.rejects(pool.map(taskRef('node:fs', 'writeFileSync'), [marker]), refused);
  assert.equal(existsSync(marker), false, 'a refused task ran');

  const allowed = join(directory, 'allowed');
  assert.equal(await pool.apply(writeMarker, [allowed]), 'written');
  assert.equal(existsSync(allowed), true);
});

test("a manager Barrier's action resolves only to a registered function; an inline one is refused", async (t) => {
  const directory = scratch(t);
  const marker = join(directory, 'marker');
  process.env.MULTIPROC_TEST_MARKER = marker; // the manager process inherits it
  t.after(() => delete process.env.MULTIPROC_TEST_MARKER);
  await using manager = await Manager();
  await assert.rejects(manager.Barrier(1, { action: () => (globalThis as unknown as { process: { exit(): void } }).process.exit() }), refused);
  await assert.rejects(manager.Barrier(1, { action: taskRef('node:process', 'abort') }), refused);
  const barrier = await manager.Barrier(1, { action: markBarrierAction });
  assert.equal(await barrier.wait(), 0);
  assert.equal(existsSync(marker), true, 'the registered action ran in the manager');
});

test('a registered Process subclass is never a task: a peer naming it is refused and nothing of the class runs', async (t) => {
  const directory = scratch(t);
  const marker = join(directory, 'marker');
  await using manager = await Manager();
  const pool = await manager.Pool(1);
  t.after(() => pool.terminate().catch(() => {}));
  const classRef = taskRef(new URL('../fixtures/trust-tasks.ts', import.meta.url), 'MarkingProcess');
  await assert.rejects(pool.apply(classRef, [marker]), { ...refused, message: /register\(\)ed/ });
  assert.equal(existsSync(marker), false, 'the class was constructed or called');
});
