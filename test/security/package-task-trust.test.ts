// Task references that name a module inside an installed package (SPEC §2, §14): how the caller
// names it (package + path inside), how a worker finds the package from its root as Node would,
// and what it refuses: names and paths that could leave the package, a symlink out of it, a
// function its module did not register, a package it does not have.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, realpathSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Pool, type TaskRef } from 'multiproc';
import { findPackageDirectory, packageOfModule } from '../../dist/tasks/task-package.js';
import { checkJobData, resolveJobTask } from '../../dist/worker/job-task.js';
import type { JobData } from '../../dist/remote/job-wire.js';
import { MULTIPROC_VERSION } from '../../dist/remote/job-wire.js';
import { installTaskPackage, linkMultiproc, TASK_PACKAGE, taskModuleSource } from '../helpers/machine-roots.ts';
import { scratchDir } from '../helpers/scratch-dir.ts';

const WORKER = 'test-host (pid 1)';
const PACKAGE_ROOT = realpathSync(fileURLToPath(new URL('../../', import.meta.url)));

function job(fields: Partial<JobData>): JobData {
  return { v: MULTIPROC_VERSION, module: 'index.mjs', isRelative: true, package: TASK_PACKAGE, name: 'whereAmI', mode: 0, payload: '', attempts: 1, ...fields };
}

function localPool(t: TestContext): Pool {
  const pool = new Pool(1);
  t.after(() => pool.terminate());
  return pool;
}

/** A root with multiproc linked and TASK_PACKAGE installed (tagged "installed"). */
function rootWithPackage(t: TestContext): string {
  const root = scratchDir(t);
  linkMultiproc(root);
  installTaskPackage(root, TASK_PACKAGE, 'installed');
  return root;
}

test('a module inside an installed package is named by the package and its path inside it, in npm and pnpm layouts', (t) => {
  const root = scratchDir(t);
  const url = (...parts: string[]) => pathToFileURL(join(root, ...parts)).href;
  const at = (...parts: string[]) => join(root, 'node_modules', ...parts);
  assert.deepEqual(packageOfModule(url('node_modules', 'plain', 'lib', 'tasks.js')), { name: 'plain', path: 'lib/tasks.js', directory: at('plain') });
  assert.deepEqual(packageOfModule(url('node_modules', '@scope', 'name', 'index.mjs')), { name: '@scope/name', path: 'index.mjs', directory: at('@scope', 'name') });
  assert.deepEqual(packageOfModule(url('node_modules', 'outer', 'node_modules', 'inner', 'x.js')), {
    name: 'inner',
    path: 'x.js',
    directory: at('outer', 'node_modules', 'inner'),
  });
  // pnpm: node_modules/<name> links to node_modules/.pnpm/<name>@<version>/node_modules/<name>.
  const store = join(root, 'node_modules', '.pnpm', 'linked@1.0.0', 'node_modules', 'linked');
  mkdirSync(store, { recursive: true });
  writeFileSync(join(store, 'index.mjs'), '');
  symlinkSync(store, join(root, 'node_modules', 'linked'));
  assert.deepEqual(packageOfModule(url('node_modules', 'linked', 'index.mjs')), { name: 'linked', path: 'index.mjs', directory: store });
  // Not in a package: the root-relative or file: URL forms apply.
  assert.equal(packageOfModule(url('tasks.mjs')), undefined);
  assert.equal(packageOfModule(url('node_modules', '.bin', 'tool.js')), undefined);
  assert.equal(packageOfModule(url('node_modules', 'only-a-folder')), undefined);
  assert.equal(packageOfModule('data:text/javascript,export default 1'), undefined);
});

test("a worker finds a package where Node's resolution does: in its root's node_modules or a parent's", (t) => {
  const root = rootWithPackage(t);
  const deeper = join(root, 'project', 'sub');
  mkdirSync(deeper, { recursive: true });
  const byNode = dirname(createRequire(join(deeper, 'x.js')).resolve(TASK_PACKAGE));
  assert.equal(findPackageDirectory(TASK_PACKAGE, deeper), byNode);
  assert.equal(findPackageDirectory('@multiproc-test/absent', deeper), undefined);
});

test("a package task resolved by a worker runs its registered function in the worker's pool", async (t) => {
  const root = rootWithPackage(t);
  const ref = resolveJobTask(job({}), root, WORKER) as TaskRef<(index: number) => [number, string]>;
  assert.deepEqual(await localPool(t).apply(ref, [5]), [5, 'installed']);
});

test('a package task resolves through a pnpm link to the real folder of the package', async (t) => {
  const root = scratchDir(t);
  linkMultiproc(root);
  const installed = installTaskPackage(root, 'pnpm-tasks', 'pnpm');
  const store = join(root, 'node_modules', '.pnpm', 'pnpm-tasks@1.0.0', 'node_modules', 'pnpm-tasks');
  mkdirSync(dirname(store), { recursive: true });
  renameSync(installed, store);
  symlinkSync(store, installed);
  const ref = resolveJobTask(job({ package: 'pnpm-tasks' }), root, WORKER) as TaskRef<(index: number) => [number, string]>;
  assert.deepEqual(await localPool(t).apply(ref, [1]), [1, 'pnpm']);
});

test('package names and paths that could leave the package are refused before anything is imported', (t) => {
  const root = rootWithPackage(t);
  const badNames = ['..', '.hidden', '_private', 'a/b', '@scope/../x', '@scope/a/b', '/etc', 'node_modules', 'with space', 'x'.repeat(215)];
  for (const name of badNames) {
    assert.throws(() => resolveJobTask(job({ package: name }), root, WORKER), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_INVALID_ARG_VALUE', name);
      assert.match(error.message, /multiproc worker on test-host \(pid 1\).*npm package name/);
      return true;
    });
  }
  const badPaths = ['../outside.mjs', 'lib/../../x.mjs', './index.mjs', '/etc/passwd', 'node_modules/other/index.mjs', 'lib\\..\\x.mjs', 'a//b.mjs', '', 'x\0.mjs'];
  for (const path of badPaths) {
    assert.throws(() => resolveJobTask(job({ module: path }), root, WORKER), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_INVALID_ARG_VALUE', JSON.stringify(path));
      assert.match(error.message, /relative path inside the package/);
      return true;
    });
  }
});

test('a symlink from inside a package to a module outside it is refused', (t) => {
  const root = rootWithPackage(t);
  writeFileSync(join(root, 'outside.mjs'), taskModuleSource('outside'));
  symlinkSync(join(root, 'outside.mjs'), join(root, 'node_modules', ...TASK_PACKAGE.split('/'), 'escape.mjs'));
  assert.throws(() => resolveJobTask(job({ module: 'escape.mjs' }), root, WORKER), {
    name: 'TypeError',
    message: /multiproc worker on test-host.*outside the root/,
  });
});

test('a function its package module exports but did not register is refused in the pool worker', async (t) => {
  const root = rootWithPackage(t);
  const ref = resolveJobTask(job({ name: 'notRegistered' }), root, WORKER);
  await assert.rejects(localPool(t).apply(ref, []), { name: 'TypeError', message: /register\(\)ed/ });
});

test('a package the worker cannot find from its root fails naming the package, the worker and the root', (t) => {
  const root = rootWithPackage(t);
  assert.throws(() => resolveJobTask(job({ package: '@multiproc-test/absent' }), root, WORKER), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'ERR_MODULE_NOT_FOUND');
    assert.ok(error.message.includes(`multiproc worker on ${WORKER} cannot import the task module @multiproc-test/absent/index.mjs`), error.message);
    assert.ok(error.message.includes(`--root ${root}`), error.message);
    assert.match(error.message, /npm install @multiproc-test\/absent/);
    return true;
  });
  assert.throws(() => resolveJobTask(job({ module: 'missing.mjs' }), root, WORKER), {
    code: 'ERR_MODULE_NOT_FOUND',
    message: /cannot import the task module @multiproc-test\/machine-tasks\/missing\.mjs: the package .* has no file missing\.mjs/,
  });
});

test('a job of another multiproc version is refused as such whatever its shape, and a malformed package field as the wrong shape', () => {
  const other = { v: '0.0.0-other', somethingElse: true } as unknown as JobData;
  assert.throws(() => checkJobData(other, WORKER), { name: 'InvalidStateError', message: /refuses a task sent by multiproc 0\.0\.0-other/ });
  for (const pkg of [42, null]) {
    assert.throws(() => checkJobData(job({ package: pkg as unknown as string }), WORKER), { name: 'TypeError', message: /wrong shape/ });
  }
  assert.throws(() => checkJobData(job({ isRelative: false }), WORKER), { name: 'TypeError', message: /wrong shape/ });
  checkJobData(job({}), WORKER);
});

test("multiproc's own modules are never a task from outside the tree: their registered helper runs the task descriptor it is given", async (t) => {
  // The executor's batch helper (callCapturing) resolves a descriptor passed as an argument, inline
  // source included: named by a peer, it would compile whatever source text the peer sends.
  const root = scratchDir(t);
  linkMultiproc(root);
  const named = job({ package: 'multiproc', module: 'dist/futures/call-capturing.js', name: 'callCapturing' });
  assert.throws(() => resolveJobTask(named, root, WORKER), { name: 'TypeError', message: /callCapturing/ });
  // A worker whose root holds multiproc's own files (installed under it, or this checkout).
  const byPath = job({ package: undefined, module: 'dist/futures/call-capturing.js', name: 'callCapturing' });
  assert.throws(() => resolveJobTask(byPath, PACKAGE_ROOT, WORKER), { name: 'TypeError', message: /multiproc's own modules/ });
});

test('a package that does not depend on multiproc is refused before any of its modules is imported', (t) => {
  const root = rootWithPackage(t);
  const dir = installTaskPackage(root, 'not-for-tasks', 'unrelated');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'not-for-tasks', version: '1.0.0', type: 'module' }));
  const marker = join(root, 'imported');
  writeFileSync(join(dir, 'install.mjs'), `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'ran');`);
  assert.throws(() => resolveJobTask(job({ package: 'not-for-tasks', module: 'install.mjs' }), root, WORKER), {
    code: 'ERR_INVALID_ARG_VALUE',
    message: /multiproc worker on test-host.*a package that depends on multiproc.*received "not-for-tasks in /,
  });
  assert.equal(existsSync(marker), false);
});
