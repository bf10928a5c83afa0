// The resource tracker against another user account: its address is abstract (no permissions,
// listed in /proc/net/unix for all to see), so a process of user nobody can connect. It must
// get nothing: what it registers is never unlinked, and its idle connection does not keep the
// tracker from cleaning up after its tree. Runs only where the suite runs as root (to become nobody).
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadNative } from '../../src/native/loader.ts';
import { eventually } from '../helpers/contexts.ts';
import { rootEnvironment, segmentExists, startTrackedTree, trackerExited } from '../helpers/tracker.ts';

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

const native = loadNative();
const addonPath = new URL('../../build/Release/multiproc.node', import.meta.url).pathname;

/** Why these tests cannot run here, or false when they can. */
function reasonToSkip(): string | false {
  if (!native) return 'the native addon is not built here';
  if (process.getuid?.() !== 0) return 'cross-user tests need the suite to run as root (to start a process as user nobody)';
  try {
    execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', '0']);
  } catch {
    return 'setpriv cannot run node as user nobody here';
  }
  return false;
}

const skip = reasonToSkip();

// The attackers: self-contained scripts in a directory of their own (nobody cannot read this
// repository's tree). Node 20's net cannot name an abstract address, so they use a copy of the addon.

/** Connects to the tracker, registers a name, says so, and stays idle. */
const registrar = `const { writeSync } = require('node:fs');
const native = require('./multiproc.node');
const [address, name] = process.argv.slice(2);
const fd = native.unixConnect('\\0' + address);
try {
  writeSync(fd, 'R ' + name + '\\n');
} catch {
  // EPIPE: the tracker closed this connection already, as it should
}
console.log('registered');
setInterval(() => {}, 1 << 30); // idle, holding the connection as long as the tracker lets it
`;

/**
 * Takes a tracker address before the tree's process looks there (as if the tracker had gone),
 * says so, and reports how many bytes each connection sent it.
 */
const squatter = `const { Socket } = require('node:net');
const native = require('./multiproc.node');
native.unixAcceptEach(native.unixListen('\\0' + process.argv[2]), (fd) => {
  let bytes = 0;
  const peer = new Socket({ fd, readable: true, writable: false });
  peer.on('data', (data) => (bytes += data.length));
  peer.on('error', () => {});
  peer.on('close', () => console.log('received ' + bytes));
});
console.log('listening');
`;

/** Starts `program` as user nobody; killed after the test. */
function startAsNobody(t: { after(fn: () => unknown): void }, program: string, args: string[]): ChildProcess {
  const directory = mkdtempSync(join(tmpdir(), 'multiproc-foreign-'));
  chmodSync(directory, 0o755);
  const script = join(directory, 'attacker.cjs');
  copyFileSync(addonPath, join(directory, 'multiproc.node'));
  chmodSync(join(directory, 'multiproc.node'), 0o755);
  writeFileSync(script, program, { mode: 0o644 });
  const child = spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, script, ...args], {
    cwd: directory,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  t.after(async () => {
    child.kill('SIGKILL');
    await exited;
    rmSync(directory, { recursive: true, force: true });
  });
  return child;
}

test('another user cannot make the tracker unlink a segment, nor delay its cleanup with an idle connection', { skip }, async (t) => {
  const tree = await startTrackedTree(t);
  // A segment of the tree's owner that its tracker was never told about.
  const victim = `/multiproc-owner-victim-${process.pid}`;
  native!.closeFd(native!.shmOpen(victim, true, true, 0o600));
  t.after(() => {
    if (segmentExists(victim)) native!.shmUnlink(victim);
  });
  const foreign = startAsNobody(t, registrar, [tree.address, victim.slice(1)]);
  const lines = createInterface({ input: foreign.stdout! })[Symbol.asyncIterator]();
  assert.equal((await lines.next()).value, 'registered'); // or tried to: nothing when it died
  await tree.end();
  // The idle foreign connection is still open on the attacker's side; the tree's own leftover
  // is cleaned up regardless, and the tracker exits.
  assert.ok(await eventually(() => !segmentExists(tree.leftover), 30_000), 'the tree\'s leftover was not cleaned up');
  assert.ok(await trackerExited(tree), 'the tracker did not exit after its tree ended');
  assert.equal(foreign.exitCode, null, 'the attacker was meant to stay connected and idle');
  assert.ok(segmentExists(victim), 'a segment registered by another user was unlinked');
});

test('a process of the tree does not register with a tracker address that another user took', { skip }, async (t) => {
  // The tree's root: a stand-in process whose death ends the tree (and the tracker started below).
  const root = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  const rootExited = once(root, 'exit');
  t.after(async () => {
    root.kill('SIGKILL');
    await rootExited;
  });
  const taken = `multiproc-tracker-${root.pid}-${randomBytes(6).toString('hex')}`;
  const foreign = startAsNobody(t, squatter, [taken]);
  const lines = createInterface({ input: foreign.stdout! })[Symbol.asyncIterator]();
  assert.equal((await lines.next()).value, 'listening');
  const member = `import { SharedMemory } from 'multiproc';
    const memory = new SharedMemory({ create: true, size: 64 });
    memory.unlink();
    console.log(process.env.MULTIPROC_TRACKER);`;
  // Its stderr is this one's: the tracker it starts inherits it and outlives it.
  const memberProcess = spawn(process.execPath, ['--input-type=module', '-e', member], {
    cwd: packageRoot,
    env: { ...rootEnvironment(), MULTIPROC_ROOT_PID: String(root.pid), MULTIPROC_TRACKER: taken },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  memberProcess.stdout!.on('data', (data: Buffer) => (stdout += data));
  const [code] = await once(memberProcess, 'close');
  assert.equal(code, 0);
  assert.notEqual(stdout.trim(), taken, 'the member kept the taken address');
  assert.match(stdout.trim(), new RegExp(`^multiproc-tracker-${root.pid}-`));
  assert.equal((await lines.next()).value, 'received 0', 'the member sent something to the other user');
});
