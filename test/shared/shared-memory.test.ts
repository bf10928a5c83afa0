import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { Pool, Process, SharedMemory } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';
import { createSegment, writeShared } from '../fixtures/tasks.ts';
import { endAfter, eventually, forEachContext, killAfter } from '../helpers/contexts.ts';

const run = promisify(execFile);
const skip = loadNative() ? false : 'the native addon is not built here';
const segmentPath = (name: string) => `/dev/shm/${name.replace(/^\//, '')}`;

/** A new segment, unlinked after `body` whatever happens. */
async function withSegment(size: number, body: (memory: SharedMemory) => Promise<void>): Promise<void> {
  const memory = new SharedMemory({ create: true, size });
  try {
    await body(memory);
  } finally {
    memory.close();
    memory.unlink();
  }
}

forEachContext((context) => {
  test('a segment passed to a Process is written there and seen here without a copy', { skip }, (t) =>
    withSegment(64, async (memory) => {
      const child = endAfter(t, new Process({ target: writeShared, args: [memory, 3, 77], context }));
      child.start();
      await child.join();
      assert.equal(child.exitCode, 0);
      assert.equal(memory.buf[3], 77);
    }));

  test('a segment travels as a task argument and in initArgs', { skip }, () =>
    withSegment(64, async (memory) => {
      await using pool = new Pool({ processes: 2, context, initializer: (m: SharedMemory) => void (m.buf[0] = 1), initArgs: [memory] });
      await pool.starmap(writeShared, [[memory, 1, 11], [memory, 2, 22]], { chunkSize: 1 });
      assert.deepEqual([...memory.buf.subarray(0, 3)], [1, 11, 22]);
    }));
});

test('a new segment is owner-only, has the size asked for, and its name can be attached', { skip }, () =>
  withSegment(5000, async (memory) => {
    assert.match(memory.name, /^mp-[0-9a-f]{16}$/);
    assert.equal(memory.size, 5000);
    assert.equal(statSync(segmentPath(memory.name)).mode & 0o777, 0o600);
    memory.buf[4999] = 5;
    const attached = new SharedMemory({ name: memory.name });
    assert.equal(attached.size, 5000);
    assert.equal(attached.buf[4999], 5);
    attached.close();
  }));

test('a process that multiproc did not start attaches a segment by name', { skip }, () =>
  withSegment(16, async (memory) => {
    memory.buf[0] = 21;
    const program = `const { SharedMemory } = await import('multiproc');
      const memory = new SharedMemory({ name: ${JSON.stringify(memory.name)} });
      memory.buf[1] = memory.buf[0] * 2;`;
    await run(process.execPath, ['--input-type=module', '-e', program]);
    assert.equal(memory.buf[1], 42);
  }));

test('a segment a child created can be attached by its parent after the child exited', { skip }, async () => {
  await using pool = new Pool({ processes: 1, context: 'process' });
  const name = await pool.apply(createSegment, [32]);
  pool.close();
  await pool.join();
  const memory = new SharedMemory({ name });
  try {
    assert.equal(memory.buf[31], 9);
  } finally {
    memory.unlink();
  }
});

test('no segment is left behind when its creator is killed with SIGKILL', { skip }, async (t) => {
  const script = fileURLToPath(new URL('../fixtures/scripts/segment-then-hang.ts', import.meta.url));
  const creator = killAfter(t, spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'ignore'] }));
  const [line] = (await once(creator.stdout, 'data')) as [Buffer];
  const path = segmentPath(String(line).trim());
  assert.ok(existsSync(path));
  creator.kill('SIGKILL');
  await once(creator, 'exit');
  assert.ok(await eventually(() => !existsSync(path)), `${path} was left behind`);
});

test('unlink removes the name; closed memory refuses use; unlink twice is harmless', { skip }, (t) => {
  const memory = new SharedMemory({ create: true, size: 8 });
  t.after(() => memory.unlink());
  memory.close();
  assert.throws(() => memory.buf, { name: 'InvalidStateError' });
  memory.unlink();
  memory.unlink();
  assert.equal(existsSync(segmentPath(memory.name)), false);
});

test('bad arguments and missing or existing names are refused with errors that name them', { skip }, () =>
  withSegment(8, async (memory) => {
    assert.throws(() => new SharedMemory({ name: memory.name, create: true, size: 8 }), {
      code: 'EEXIST',
      message: new RegExp(`a segment named "${memory.name}" already exists`),
    });
    assert.throws(() => new SharedMemory({ name: 'mp-test-absent' }), { code: 'ENOENT', message: /no segment named "mp-test-absent"/ });
    assert.throws(() => new SharedMemory(), { name: 'TypeError', message: /"name" must be the name of an existing segment/ });
    assert.throws(() => new SharedMemory({ create: true, size: 0 }), { name: 'RangeError', message: /"size" must be an integer >= 1/ });
    assert.throws(() => new SharedMemory({ create: true }), { name: 'TypeError', message: /"size"/ });
    assert.throws(() => new SharedMemory({ name: 'a/b' }), { name: 'TypeError', message: /"name"/ });
  }));
