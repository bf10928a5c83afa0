// scripts/check-layers.mjs: the layer rule of src/ (each folder imports only the folders below
// it). Run on this project's own tree, and on small trees written for each kind of import.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const script = join(projectRoot, 'scripts', 'check-layers.mjs');

function checkLayers(root: string): { status: number | null; stdout: string; stderr: string } {
  const { status, stdout, stderr } = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
  return { status, stdout, stderr };
}

/** A project tree with the given files (path under the root -> text), removed after the test. */
function writeTree(t: TestContext, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'check-layers-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('the project tree follows the layer rule', () => {
  const { status, stdout, stderr } = checkLayers(projectRoot);
  assert.equal(stderr, '');
  assert.equal(status, 0);
  assert.match(stdout, /every import in .* goes down the layers/);
});

test('imports down the layers, within a layer and of node: modules pass', (t) => {
  const root = writeTree(t, {
    'src/base/errors.ts': "import { EventEmitter } from 'node:events';\nexport class E extends EventEmitter {}\n",
    'src/base/deadline.ts': "import { E } from './errors.js';\nexport const d = new E();\n",
    'src/pool/pool.ts': "import { d } from '../base/deadline.js';\nexport * from '../sync/lock.js';\nexport const p = d;\n",
    'src/sync/lock.ts': 'export const lock = 1;\n',
    'src/index.ts': "export * from './pool/pool.js';\n",
  });
  const { status, stderr } = checkLayers(root);
  assert.equal(stderr, '');
  assert.equal(status, 0);
});

test('an import up the layers fails and names both files and both layers', (t) => {
  const root = writeTree(t, {
    'src/base/errors.ts': "import { p } from '../pool/pool.js';\nexport const e = p;\n",
    'src/pool/pool.ts': 'export const p = 1;\n',
  });
  const { status, stderr } = checkLayers(root);
  assert.equal(status, 1);
  assert.match(stderr, /^src\/base\/errors\.ts imports src\/pool\/pool\.ts: base \(layer \d+\) may not import pool \(layer \d+\)/m);
});

test('type-only imports, export-from, dynamic import() and import() types count too', (t) => {
  const root = writeTree(t, {
    'src/tasks/a.ts': "import type { P } from '../process/process.js';\nexport type A = P;\n",
    'src/tasks/b.ts': "export { Q } from '../queue/queue.js';\n",
    'src/tasks/c.ts': "export async function c() {\n  return import('../managers/manager.js');\n}\n",
    'src/tasks/d.ts': "export type D = import('../sync/lock.js').Lock;\n",
    'src/process/process.ts': 'export type P = number;\n',
    'src/queue/queue.ts': 'export class Q {}\n',
    'src/managers/manager.ts': 'export const m = 1;\n',
    'src/sync/lock.ts': 'export class Lock {}\n',
  });
  const { status, stderr } = checkLayers(root);
  assert.equal(status, 1);
  const violations = stderr.split('\n').filter((line) => line.includes(' may not import '));
  assert.deepEqual(
    violations.map((line) => line.split(':')[0]),
    [
      'src/tasks/a.ts imports src/process/process.ts',
      'src/tasks/b.ts imports src/queue/queue.ts',
      'src/tasks/c.ts imports src/managers/manager.ts',
      'src/tasks/d.ts imports src/sync/lock.ts',
    ],
  );
});

test('a folder that is not a layer fails, whether it imports or is imported', (t) => {
  const root = writeTree(t, {
    'src/helpers/util.ts': 'export const u = 1;\n',
    'src/pool/pool.ts': "import { u } from '../helpers/util.js';\nexport const p = u;\n",
  });
  const { status, stderr } = checkLayers(root);
  assert.equal(status, 1);
  assert.match(stderr, /^src\/helpers\/util\.ts: src\/helpers\/ is not a layer of src\//m);
  assert.match(stderr, /^src\/pool\/pool\.ts:1 imports src\/helpers\/util\.ts: src\/helpers\/ is not a layer of src\//m);
});

test('an import from outside src/ fails', (t) => {
  const root = writeTree(t, {
    'src/base/errors.ts': "import { x } from '../../elsewhere/x.js';\nexport const e = x;\n",
  });
  const { status, stderr } = checkLayers(root);
  assert.equal(status, 1);
  assert.match(stderr, /^src\/base\/errors\.ts:1 imports .*elsewhere\/x\.js: code in src\/ may import only src\/ and node: modules/m);
});

test('a listed exception lets one import through, and an exception no import needs fails', (t) => {
  const files = {
    'src/base/errors.ts': "import { p } from '../pool/pool.js';\nexport const e = p;\n",
    'src/pool/pool.ts': 'export const p = 1;\n',
    'scripts/layer-exceptions.json': JSON.stringify(['src/base/errors.ts -> src/pool/pool.ts']),
  };
  assert.equal(checkLayers(writeTree(t, files)).status, 0);

  const stale = writeTree(t, { ...files, 'src/base/errors.ts': 'export const e = 1;\n' });
  const { status, stderr } = checkLayers(stale);
  assert.equal(status, 1);
  assert.match(stderr, /"src\/base\/errors\.ts -> src\/pool\/pool\.ts" no longer matches an import; delete it/);
});
