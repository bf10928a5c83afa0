// Failed creation leaves nothing (issue 10, item 9): a SharedMemory of a size this Node cannot
// view fails with RangeError (ERR_OUT_OF_RANGE) before any system call, so no segment, no
// descriptor and no tracker entry is left, and the same name can be used at once.
import assert from 'node:assert/strict';
import { constants as bufferConstants } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { test } from 'node:test';
import { SharedMemory } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';

const skip = loadNative() ? false : 'the native addon is not built here';

function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

test('a SharedMemory too large to view fails with RangeError and leaves no segment nor descriptor; the name can be reused', { skip }, async (t) => {
  // Start the resource tracker first (its connection is a descriptor of this process, for good).
  const warmUp = new SharedMemory({ create: true, size: 8 });
  warmUp.close();
  warmUp.unlink();

  for (const size of [2 ** 60, 2 ** 64, bufferConstants.MAX_LENGTH + 1]) {
    await t.test(`size ${size}`, () => {
      const name = `mp-failed-${randomBytes(6).toString('hex')}`;
      t.after(() => {
        if (existsSync(`/dev/shm/${name}`)) new SharedMemory({ name }).unlink();
      });
      const descriptors = openDescriptors();
      assert.throws(() => new SharedMemory({ name, create: true, size }), {
        name: 'RangeError',
        code: 'ERR_OUT_OF_RANGE',
        message: new RegExp(`SharedMemory: "size" must be at most ${bufferConstants.MAX_LENGTH} bytes`),
      });
      assert.equal(existsSync(`/dev/shm/${name}`), false);
      assert.equal(openDescriptors(), descriptors);

      const retry = new SharedMemory({ name, create: true, size: 4096 });
      assert.equal(retry.size, 4096);
      retry.close();
      retry.unlink();
      assert.equal(existsSync(`/dev/shm/${name}`), false);
    });
  }
});

test('a SharedMemory attached by name refuses a file that is not shared memory', { skip }, (t) => {
  const name = `mp-fifo-${randomBytes(6).toString('hex')}`;
  execFileSync('mkfifo', ['-m', '600', `/dev/shm/${name}`]);
  t.after(() => rmSync(`/dev/shm/${name}`, { force: true }));
  const descriptors = openDescriptors();
  assert.throws(() => new SharedMemory({ name }), { name: 'InvalidStateError', code: 'ERR_MP_INVALID_STATE', message: new RegExp(`"${name}" is not a shared-memory segment`) });
  assert.equal(openDescriptors(), descriptors);
});
