import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { Process, ShareableList } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';
import { editList } from '../fixtures/tasks.ts';
import { endAfter, forEachContext } from '../helpers/contexts.ts';

const run = promisify(execFile);
const skip = loadNative() ? false : 'the native addon is not built here';

function withList(items: ConstructorParameters<typeof ShareableList>[0], body: (list: ShareableList) => Promise<void>): Promise<void> {
  const list = new ShareableList(items);
  return body(list).finally(() => {
    list.shm.close();
    list.shm.unlink();
  });
}

forEachContext((context) => {
  test('a child edits a ShareableList in place and this side reads the new items', { skip }, (t) =>
    withList([1.5, 'hello', null, true], async (list) => {
      const child = endAfter(t, new Process({ target: editList, args: [list], context }));
      child.start();
      await child.join();
      assert.equal(child.exitCode, 0);
      assert.deepEqual(list.toArray(), [3, 'bye', 7n, true]);
    }));
});

test('every kind of item is stored and read back; count, index and negative at()', { skip }, () =>
  withList([1, 2n, false, 'text', new Uint8Array([9, 8]), null, 1], async (list) => {
    assert.equal(list.length, 7);
    assert.deepEqual(list.toArray(), [1, 2n, false, 'text', new Uint8Array([9, 8]), null, 1]);
    assert.equal(list.count(1), 2);
    assert.equal(list.index('text'), 3);
    assert.equal(list.at(-1), 1);
    assert.throws(() => list.index('absent'), RangeError);
    assert.throws(() => list[7], RangeError);
  }));

test('a string longer than its slot is a RangeError, as in Python; unsupported items are TypeErrors', { skip }, () =>
  withList(['short'], async (list) => {
    list[0] = 'eightch'; // a slot holds at least 8 bytes
    assert.throws(() => {
      list[0] = 'this is far too long';
    }, RangeError);
    assert.equal(list[0], 'eightch');
    assert.throws(() => new ShareableList([{}] as never), TypeError);
    assert.throws(() => new ShareableList(null), { name: 'TypeError', message: /"name"/ });
  }));

test('a process that multiproc did not start attaches the list by name', { skip }, () =>
  withList([41, 'x'], async (list) => {
    const program = `const { ShareableList } = await import('multiproc');
      const list = new ShareableList(null, { name: ${JSON.stringify(list.shm.name)} });
      list[0] = list[0] + 1;`;
    await run(process.execPath, ['--input-type=module', '-e', program]);
    assert.equal(list[0], 42);
  }));
