// SharedMemoryManager: segments made by the manager process, attachable by name anywhere in
// the meantime, unlinked at its shutdown, and not left behind when its owner is SIGKILLed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Process, ShareableList, SharedMemory, SharedMemoryManager } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';
import { writeByName } from '../fixtures/manager-api-tasks.ts';
import { eventually, isRunning } from '../helpers/contexts.ts';
import { rootEnvironment, segmentExists } from '../helpers/tracker.ts';

const skip = loadNative() ? false : 'shared memory needs the native addon';

test('segments of a SharedMemoryManager exist while it runs, are written by name from a child, and are gone after shutdown', { skip }, async (t) => {
  const manager = new SharedMemoryManager();
  await manager.start();
  t.after(() => manager.shutdown());
  const memory = await manager.SharedMemory(128);
  const list = await manager.ShareableList([1, 'two', null]);
  assert.ok(memory instanceof SharedMemory);
  assert.ok(list instanceof ShareableList);
  assert.equal(memory.size, 128);
  assert.ok(segmentExists(memory.name) && segmentExists(list.shm.name));
  const child = new Process({ target: writeByName, args: [memory.name, list.shm.name] });
  t.after(async () => {
    if (child.exitCode === null) child.kill();
    await child.join();
  });
  child.start();
  await child.join();
  assert.equal(child.exitCode, 0);
  assert.equal(memory.buf[0], 42);
  assert.deepEqual([list[0], list[1], list[2]], [1, 'child', null]);
  await manager.shutdown();
  assert.equal(segmentExists(memory.name), false);
  assert.equal(segmentExists(list.shm.name), false);
  assert.equal(memory.buf[0], 42, 'this side keeps its mapping, as after unlink()');
});

test('await using a SharedMemoryManager unlinks its segments at the end of the block', { skip }, async () => {
  let names: string[];
  {
    await using manager = new SharedMemoryManager();
    await manager.start();
    names = [(await manager.SharedMemory(16)).name, (await manager.ShareableList([true])).shm.name];
    assert.ok(names.every(segmentExists));
  }
  assert.deepEqual(names.map(segmentExists), [false, false]);
});

test('a SharedMemoryManager refuses bad sizes and sequences at the call', { skip }, async (t) => {
  const manager = new SharedMemoryManager();
  await manager.start();
  t.after(() => manager.shutdown());
  await assert.rejects(manager.SharedMemory(0), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(manager.SharedMemory('8' as never), { name: 'TypeError' });
  await assert.rejects(manager.ShareableList(5 as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(manager.ShareableList([{}] as never), { name: 'TypeError' });
  await assert.rejects(new SharedMemoryManager().SharedMemory(8), { name: 'InvalidStateError' });
});

test("a SharedMemoryManager's segments do not outlive an owner killed with SIGKILL", { skip }, async (t) => {
  const script = fileURLToPath(new URL('../fixtures/scripts/shared-memory-manager-then-hang.ts', import.meta.url));
  // A tree of its own, so what cleans up after it is that tree's, not this test's.
  const owner = spawn(process.execPath, ['--import', 'tsx', script], { env: rootEnvironment(), stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(owner, 'exit');
  t.after(async () => {
    if (owner.exitCode === null && owner.signalCode === null) owner.kill('SIGKILL');
    await exited;
  });
  const { value: line } = await createInterface({ input: owner.stdout })[Symbol.asyncIterator]().next();
  const { pid, names } = JSON.parse(String(line)) as { pid: number; names: string[] };
  assert.ok(names.every(segmentExists));
  owner.kill('SIGKILL');
  await exited;
  assert.ok(await eventually(() => !isRunning(pid)), `manager ${pid} outlived its owner`);
  assert.ok(await eventually(() => !names.some(segmentExists), 30_000), `segments ${names} outlived the tree`);
});
