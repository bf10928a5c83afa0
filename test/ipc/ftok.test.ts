import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { ftok } from 'multiproc/ipc';
import { CTYPES_PRELUDE, skipWithoutAddon as skip, skipWithoutPython, skipWithoutSysvIpc } from '../helpers/sysv.ts';
import { runPython } from '../helpers/peers.ts';

/** A file of this test's own, removed after it. */
function newFile(t: TestContext): string {
  const directory = mkdtempSync(join(tmpdir(), 'multiproc-ftok-'));
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  const path = join(directory, 'key file');
  writeFileSync(path, '');
  return path;
}
/** Project ids to try: 128 and above make a negative key_t. */
const projectIds = [1, 65, 128, 255];

test("ftok gives libc's key, as Python's ctypes call of libc.ftok does, for every project id", { skip: skipWithoutPython }, async (t) => {
  const path = newFile(t);
  const program = `${CTYPES_PRELUDE}
print(' '.join(str(libc.ftok(sys.argv[1].encode(), int(i))) for i in sys.argv[2:]))
`;
  const keys = (await runPython('python3', program, [path, ...projectIds.map(String)])).trim().split(' ').map(Number);
  assert.deepEqual(projectIds.map((id) => ftok(path, id)), keys);
});

test("ftok gives the key of Python's sysv_ipc.ftok", { skip: skipWithoutSysvIpc }, async (t) => {
  const path = newFile(t);
  const program = `import sys, sysv_ipc
print(' '.join(str(sysv_ipc.ftok(sys.argv[1], int(i), True)) for i in sys.argv[2:]))
`;
  const keys = (await runPython('/usr/bin/python3', program, [path, ...projectIds.map(String)])).trim().split(' ').map(Number);
  assert.deepEqual(projectIds.map((id) => ftok(path, id)), keys);
});

test('ftok of a missing path says which path, with code ENOENT', { skip }, () => {
  assert.throws(() => ftok('/nonexistent/multiproc-ftok', 1), (error: NodeJS.ErrnoException) => {
    assert.equal(error.code, 'ENOENT');
    assert.match(error.message, /ftok: "\/nonexistent\/multiproc-ftok" does not exist/);
    return true;
  });
});

test('ftok refuses project ids outside 1..255 (libc would keep only 8 bits) and paths that are not strings', { skip }, () => {
  for (const id of [0, 256, -1, 1.5]) assert.throws(() => ftok('/', id), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => ftok('/', '1' as unknown as number), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => ftok(1 as unknown as string, 1), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => ftok('a\0b', 1), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.equal(ftok('/', 1), ftok('/', 1));
  assert.notEqual(ftok('/', 1), ftok('/', 2));
});
