// multiproc/ipc loads where the addon is absent, and each mode says why it cannot work there.
// Run by both passes of `npm test`; the checks that need the addon's absence run in the second.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ipc from 'multiproc/ipc';

const withoutAddon = process.env.MULTIPROC_NO_NATIVE === '1';

/** One call per mode that needs the addon, each made as a user would make it first. */
const firstCalls: Record<string, () => unknown> = {
  PosixMessageQueue: () => new ipc.PosixMessageQueue('/x', { create: true }),
  PosixSemaphore: () => new ipc.PosixSemaphore('/x', { create: true }),
  pipe: () => ipc.pipe(),
  mkfifo: () => ipc.mkfifo('/tmp/never-made.fifo'),
  openFifo: () => ipc.openFifo('/tmp/never-opened.fifo', 'r'),
  socketPair: () => ipc.socketPair(),
};

test('multiproc/ipc loads, and re-exports SharedMemory, Listener and Client', () => {
  assert.equal(typeof ipc.SharedMemory, 'function');
  assert.equal(typeof ipc.Listener, 'function');
  assert.equal(typeof ipc.Client, 'function');
});

test('without the addon, every mode says that it needs it and why it is missing', { skip: !withoutAddon && 'the addon is loaded' }, async () => {
  for (const [name, call] of Object.entries(firstCalls)) {
    await assert.rejects(
      async () => call(),
      (error: NodeJS.ErrnoException) => {
        assert.equal(error.code, 'ERR_MP_NATIVE_UNAVAILABLE', name);
        assert.match(error.message, /MULTIPROC_NO_NATIVE=1/, name);
        return true;
      },
    );
  }
});
