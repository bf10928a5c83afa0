// The addon's side of "who is connecting?": a listening Unix socket hands each accepted
// connection over as a descriptor, whose peer the kernel names (SO_PEERCRED), both ways.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { loadNative } from '../../src/native/loader.ts';

const native = loadNative();
const skip = native ? false : 'the native addon is not built here';
const addonPath = new URL('../../build/Release/multiproc.node', import.meta.url).pathname;

// The listening side runs in a child: an accept watch keeps its event loop alive for good.
const listener = `const native = require(${JSON.stringify(addonPath)});
native.unixAcceptEach(native.unixListen('\\0' + process.argv[1]), (fd) => {
  console.log(JSON.stringify(native.peerCredentials(fd)));
  process.exit(0);
});
console.log('listening');`;

test('an accepted connection is handed over as a descriptor naming the connecting process and user', { skip }, async (t) => {
  const address = `multiproc-test-credentials-${randomBytes(6).toString('hex')}`;
  const child = spawn(process.execPath, ['-e', listener, address], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  t.after(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  assert.equal((await lines.next()).value, 'listening');
  const fd = native!.unixConnect(`\0${address}`);
  t.after(() => native!.closeFd(fd));
  // Seen from the client, the peer is whoever listened.
  assert.deepEqual(native!.peerCredentials(fd), { pid: child.pid, uid: process.getuid!(), gid: process.getgid!() });
  const accepted = JSON.parse((await lines.next()).value as string);
  assert.deepEqual(accepted, { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
});

test('peerCredentials on a descriptor that is not a socket fails naming the call', { skip }, () => {
  assert.throws(() => native!.peerCredentials(1000), { syscall: 'getsockopt', code: 'EBADF', message: /^getsockopt\(SO_PEERCRED, fd 1000\) failed: EBADF/ });
});
