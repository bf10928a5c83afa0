// The resource tracker against a peer of its own user that is not one of its clients: it
// unlinks only names SharedMemory itself accepts, and a line longer than any registration drops
// that peer without growing the tracker's memory, while the tree's own cleanup still happens.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { loadNative } from '../../src/native/loader.ts';
import { eventually } from '../helpers/contexts.ts';
import { residentBytes, segmentExists, startTrackedTree, trackerExited } from '../helpers/tracker.ts';

const native = loadNative();
const skip = native ? false : 'the native addon is not built here';

/** A connection to an abstract address (Node 20's net cannot name one). */
function connectTo(address: string): Socket {
  return new Socket({ fd: native!.unixConnect(`\0${address}`), readable: true, writable: true });
}

test('the tracker never unlinks a registered name SharedMemory would refuse ("../x", "a/b", spaces)', { skip }, async (t) => {
  const tree = await startTrackedTree(t);
  const outside = mkdtempSync(join(tmpdir(), 'multiproc-victim-'));
  const inShm = `/dev/shm/multiproc victim ${process.pid}`; // a real segment, but no SharedMemory name
  const shmDirectory = `/dev/shm/multiproc-victim-dir-${process.pid}`;
  t.after(() => {
    rmSync(outside, { recursive: true, force: true });
    rmSync(inShm, { force: true });
    rmSync(shmDirectory, { recursive: true, force: true });
  });
  writeFileSync(join(outside, 'victim'), 'keep me');
  writeFileSync(inShm, 'keep me');
  mkdirSync(shmDirectory);
  writeFileSync(join(shmDirectory, 'victim'), 'keep me');
  const names = [
    relative('/dev/shm', join(outside, 'victim')), // ../tmp/multiproc-victim-…/victim
    `/${relative('/dev/shm', join(outside, 'victim'))}`,
    inShm.slice('/dev/shm/'.length),
    `multiproc-victim-dir-${process.pid}/victim`,
    '..',
    '.',
  ];
  const peer = connectTo(tree.address);
  const closed = new Promise((resolve) => peer.on('close', resolve));
  peer.on('error', () => {});
  peer.end(names.map((name) => `R ${name}\n`).join(''));
  await closed;
  await tree.end();
  assert.ok(await trackerExited(tree), 'the tracker did not exit after its tree ended');
  assert.equal(segmentExists(tree.leftover), false, 'the tree\'s own leftover segment was not cleaned up');
  assert.ok(existsSync(join(outside, 'victim')), 'a file outside /dev/shm was unlinked');
  assert.ok(existsSync(inShm), 'a segment whose name SharedMemory refuses was unlinked');
  assert.ok(existsSync(join(shmDirectory, 'victim')), 'a file below a directory of /dev/shm was unlinked');
});

/**
 * Sends `chunks` on a new connection that the peer never ends; true once the tracker has closed
 * it (false if it has not after a generous bound, a "does not hang" limit).
 */
async function isDroppedAfterSending(address: string, t: { after(fn: () => unknown): void }, ...chunks: Buffer[]): Promise<boolean> {
  const peer = connectTo(address);
  let isClosed = false;
  peer.on('close', () => (isClosed = true));
  peer.on('error', () => {}); // EPIPE or ECONNRESET once the tracker has dropped it
  t.after(() => peer.destroy());
  for (const chunk of chunks) peer.write(chunk);
  return eventually(() => isClosed, 30_000);
}

test('a peer sending megabytes without a newline is dropped and the tracker\'s memory stays flat', { skip }, async (t) => {
  const tree = await startTrackedTree(t);
  // A first over-long line, dropped too, tells that the tracker is up and reading: its memory
  // is measured from there.
  assert.ok(await isDroppedAfterSending(tree.address, t, Buffer.alloc(1024, 'a')), 'a 1 KiB line was not dropped');
  const before = residentBytes(tree.trackerPid);
  const megabyte = Buffer.alloc(1024 * 1024, 'a');
  const chunks = [Buffer.from('R '), ...Array.from({ length: 64 }, () => megabyte)];
  assert.ok(await isDroppedAfterSending(tree.address, t, ...chunks), 'a 64 MiB line was not dropped');
  const grownBytes = residentBytes(tree.trackerPid) - before;
  assert.ok(grownBytes < 16 * 1024 * 1024, `the tracker grew by ${grownBytes} bytes`);
  // Still serving its tree: the leftover is cleaned up once the tree ends.
  await tree.end();
  assert.ok(await eventually(() => !segmentExists(tree.leftover), 30_000), 'the tree\'s leftover was not cleaned up');
  assert.ok(await trackerExited(tree));
});

test('SharedMemory refuses the names the tracker ignores: "." and ".." are no segment names', { skip }, async () => {
  const { SharedMemory } = await import('multiproc');
  for (const name of ['.', '..', '/..', 'a/b', '../x']) {
    assert.throws(() => new SharedMemory({ name, create: true, size: 8 }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /^SharedMemory: "name" must be/ });
  }
});
