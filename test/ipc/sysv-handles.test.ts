// System V objects as handles of the codec: they travel within the process tree by key (by id when
// private), never to a peer over a socket, and a received record is checked before use.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidStateError } from 'multiproc';
import { SysVMessageQueue, SysVSemaphoreSet, SysVSharedMemory } from 'multiproc/ipc';
import { decodeValue, encodeValue } from '../../dist/tasks/codec.js';
import { leftovers, skipWithoutAddon as skip, uniqueKey } from '../helpers/sysv.ts';

function eachKind(): [string, { remove(): void; detach?(): void }][] {
  return [
    ['SysVMessageQueue', new SysVMessageQueue(uniqueKey(), { create: true, exclusive: true })],
    ['SysVSemaphoreSet', new SysVSemaphoreSet(uniqueKey(), 1, { create: true, exclusive: true })],
    ['SysVSharedMemory', new SysVSharedMemory(uniqueKey(), 8, { create: true, exclusive: true })],
  ];
}

test('System V objects cannot be sent to a peer outside the process tree (a socket Connection)', { skip }, (t) => {
  for (const [name, object] of eachKind()) {
    t.after(() => {
      object.detach?.();
      object.remove();
    });
    assert.throws(() => encodeValue([object], 'args', 'peer'), (error: NodeJS.ErrnoException) => {
      assert.ok(error instanceof TypeError, name);
      assert.equal(error.code, 'ERR_INVALID_ARG_VALUE');
      assert.match(error.message, new RegExp(`args\\[0\\]: a ${name} \\(a handle`));
      return true;
    });
  }
});

test('a received System V record is rebuilt by key, and a forged one is refused before any system call', { skip }, (t) => {
  for (const [name, object] of eachKind()) {
    t.after(() => {
      object.detach?.();
      object.remove();
    });
    const encoded = encodeValue(object, 'value', 'process');
    const rebuilt = decodeValue(structuredClone(encoded.value), true) as { id: number; detach?(): void };
    assert.equal(rebuilt.id, (object as unknown as { id: number }).id, name);
    rebuilt.detach?.();
    for (const data of [{ key: 2 ** 31, id: 1 }, { key: 1, id: -1 }, { key: '1', id: 1 }, null, { key: 0, id: 1.5 }]) {
      const forged = { ...(encoded.value as object), data };
      assert.throws(() => decodeValue(forged, true), InvalidStateError, `${name} ${JSON.stringify(data)}`);
    }
  }
});

test('these tests leave no System V object of theirs in the kernel', { skip }, () => {
  assert.deepEqual(leftovers(), []);
});
