// A corrupted channel (SPEC §14): a chunk shrunk by someone else's ftruncate, a record header or
// an end-of-chunk marker overwritten, a chunk name taken by another user. The reader fails with
// InvalidStateError naming the channel: never SIGBUS, never garbage, never stuck.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { type Connection, Pipe, Process, Queue } from 'multiproc';
import { encodeValue } from '../../dist/tasks/codec.js';
import { loadNative } from '../../src/native/loader.ts';
import { type Outcome, reportGets } from '../fixtures/record-tasks.ts';

const native = loadNative();
const skip = native ? false : 'the native addon is not built here';

interface QueueRecord {
  name: string;
  copy: unknown;
  block: { fd: number; bytes: number; byteOffset: number };
}

/** A queue's record, as it travels; the copy made to learn it is given back. */
function recordOf(queue: Queue<unknown>): QueueRecord {
  const { data } = encodeValue(queue, 'queue', 'process').value as { data: QueueRecord };
  (queue as unknown as { received(copy: unknown): void }).received(data.copy);
  return data;
}

/** A queue's channel name (its chunks are /dev/shm/<name>-<number>). */
function channelNameOf(queue: Queue<unknown>): string {
  return recordOf(queue).name;
}

/** The channel words of a queue (its head and tail first), mapped a second time, as any tree member could. */
function channelWordsOf(queue: Queue<unknown>): { positions: BigInt64Array; words: Int32Array } {
  const { block } = recordOf(queue);
  const fd = openSync(`/proc/self/fd/${block.fd}`, 'r+');
  try {
    const buffer = native!.mapShared(fd, block.bytes);
    return { positions: new BigInt64Array(buffer, block.byteOffset, 2), words: new Int32Array(buffer, block.byteOffset, 12) };
  } finally {
    closeSync(fd);
  }
}

const position = (chunk: number, offset: number) => (BigInt(chunk) << 32n) | BigInt(offset);

/** Chunks of this test's channel only (other programs may use /dev/shm meanwhile). */
function chunksOf(name: string): string[] {
  return readdirSync('/dev/shm').filter((entry) => entry.startsWith(`${name}-`));
}

function removeChunks(name: string): void {
  for (const chunk of chunksOf(name)) rmSync(`/dev/shm/${chunk}`, { force: true });
}

/** A new queue whose chunks are removed after the test, whatever happens. */
function scratchQueue(t: { after(fn: () => unknown): void }): { queue: Queue<unknown>; name: string } {
  const queue = new Queue<unknown>();
  const name = channelNameOf(queue);
  t.after(() => {
    queue.close();
    removeChunks(name);
  });
  return { queue, name };
}

/** Writes 32-bit words at a byte offset of a chunk, as anyone of this user can. */
function overwriteWords(chunk: string, byteOffset: number, words: number[]): void {
  const bytes = readFileSync(chunk);
  for (const [index, word] of words.entries()) bytes.writeInt32LE(word, byteOffset + index * 4);
  writeFileSync(chunk, bytes);
}

/** A child that gets from `queue` (or receives from a pipe end) on request and reports each outcome; stopped and joined after the test. */
function startGetter(t: { after(fn: () => unknown): void }, queue: Queue<unknown> | Connection): { get(): Promise<Outcome>; stop(): Promise<number | null> } {
  const [control, childControl] = Pipe();
  const child = new Process({ target: reportGets, args: [queue, childControl] });
  child.start();
  t.after(async () => {
    if (child.exitCode === null) child.kill();
    await child.join();
    control.close();
    childControl.close();
  });
  return {
    get: async () => {
      control.send('get');
      return (await control.recv()) as Outcome;
    },
    stop: async () => {
      control.send('stop');
      await child.join();
      return child.exitCode;
    },
  };
}

function assertCorrupted(outcome: Outcome, name: string, reason: RegExp): void {
  assert.ok('error' in outcome, `expected InvalidStateError, the child got ${JSON.stringify(outcome)}`);
  assert.equal(outcome.error.name, 'InvalidStateError');
  assert.equal(outcome.error.code, 'ERR_MP_INVALID_STATE');
  assert.match(outcome.error.message, new RegExp(`channel "${name}" is corrupted: ${reason.source}`));
}

test('a chunk cut short after the child mapped it fails the child\'s get with InvalidStateError naming the channel, and the child exits normally', { skip }, async (t) => {
  const { queue, name } = scratchQueue(t);
  await queue.put('first');
  await queue.put('second');
  const getter = startGetter(t, queue);
  assert.deepEqual(await getter.get(), { ok: 'first' }); // the child has the chunk mapped now
  truncateSync(`/dev/shm/${name}-1`, 0);
  assertCorrupted(await getter.get(), name, /chunk 1 was cut short/);
  assert.equal(await getter.stop(), 0); // alive until asked to stop: no SIGBUS
  // This process had the chunk mapped too: its writer fails the same way instead of losing the item.
  await assert.rejects(queue.put('third'), { name: 'InvalidStateError', message: new RegExp(`channel "${name}" is corrupted`) });
});

test('a pipe chunk cut short under the receiving child fails its recv with InvalidStateError, and the sender\'s next send too', { skip }, async (t) => {
  const [receiving, sending] = Pipe(false);
  const { data } = encodeValue(sending, 'end', 'process').value as { data: { name: string; copy: unknown } };
  (sending as unknown as { transport: { received(copy: unknown): void } }).transport.received(data.copy);
  const chunk = `${data.name}-0-1`; // a one-way pipe has one channel, 0
  t.after(() => {
    receiving.close();
    sending.close();
    rmSync(`/dev/shm/${chunk}`, { force: true });
  });
  sending.send('first');
  sending.send('second');
  const getter = startGetter(t, receiving);
  assert.deepEqual(await getter.get(), { ok: 'first' });
  truncateSync(`/dev/shm/${chunk}`, 0);
  assertCorrupted(await getter.get(), `${data.name}-0`, /chunk 1 was cut short/);
  assert.equal(await getter.stop(), 0);
  assert.throws(() => sending.send('third'), { name: 'InvalidStateError', message: new RegExp(`channel "${data.name}-0" is corrupted`) });
});

test('a chunk cut short before a reader maps it is refused when the reader maps it', { skip }, async (t) => {
  const { queue, name } = scratchQueue(t);
  await queue.put('first');
  truncateSync(`/dev/shm/${name}-1`, 8);
  const getter = startGetter(t, queue);
  assertCorrupted(await getter.get(), name, /chunk 1 is 8 bytes long/);
  assert.equal(await getter.stop(), 0);
});

test('a chunk removed before a reader maps it fails the reader with InvalidStateError naming the channel', { skip }, async (t) => {
  const { queue, name } = scratchQueue(t);
  await queue.put('first');
  rmSync(`/dev/shm/${name}-1`);
  const getter = startGetter(t, queue);
  assertCorrupted(await getter.get(), name, /the head points to chunk 1, which does not exist/);
  assert.equal(await getter.stop(), 0);
});

test('record headers overwritten with impossible lengths fail the reader with InvalidStateError, never a hang', { skip }, async (t) => {
  for (const [what, length] of [
    ['longer than the chunk', 0x7fff_fff0],
    ['negative', -5],
  ] as const) {
    await t.test(what, async (t) => {
      const { queue, name } = scratchQueue(t);
      await queue.put('hello');
      overwriteWords(`/dev/shm/${name}-1`, 0, [length]);
      await assert.rejects(queue.get(), { name: 'InvalidStateError', code: 'ERR_MP_INVALID_STATE', message: new RegExp(`channel "${name}" is corrupted: the record at offset 0 of chunk 1 claims ${length} bytes`) });
    });
  }
});

test('an end-of-chunk marker sending readers backwards fails the reader with InvalidStateError', { skip }, async (t) => {
  const { queue, name } = scratchQueue(t);
  await queue.put('hello');
  overwriteWords(`/dev/shm/${name}-1`, 0, [-1, 0]); // "go on to chunk 0"
  await assert.rejects(queue.get(), { name: 'InvalidStateError', message: new RegExp(`channel "${name}" is corrupted: the end of chunk 1 sends readers on to chunk 0`) });
});

test('head and tail overwritten in a queue\'s shared words fail the reader with InvalidStateError, never a hang', { skip }, async (t) => {
  const cases: Array<[string, (positions: BigInt64Array) => void, RegExp]> = [
    ['a misaligned head', (positions) => (positions[0] = position(1, 12)), /the head points to offset 12 of chunk 1/],
    ['a head past its chunk', (positions) => (positions[0] = position(1, 2 ** 31)), /the head points to offset 2147483648 of chunk 1/],
    ['a head in a chunk that does not exist', (positions) => (positions[0] = position(7, 0)), /the head points to chunk 7, which does not exist/],
    ['a head in chunk 0', (positions) => (positions[0] = position(0, 0)), /the head points to chunk 0/],
    ['a negative head', (positions) => (positions[0] = -1n), /the head points to chunk -1/],
  ];
  for (const [what, corrupt, reason] of cases) {
    await t.test(what, async (t) => {
      const { queue, name } = scratchQueue(t);
      await queue.put('hello');
      corrupt(channelWordsOf(queue).positions);
      await assert.rejects(queue.get(), { name: 'InvalidStateError', code: 'ERR_MP_INVALID_STATE', message: new RegExp(`channel "${name}" is corrupted: ${reason.source}`) });
    });
  }
  await t.test('a tail past its chunk fails the writer', async (t) => {
    const { queue, name } = scratchQueue(t);
    await queue.put('hello');
    channelWordsOf(queue).positions[1] = position(1, 2 ** 30);
    await assert.rejects(queue.put('more'), { name: 'InvalidStateError', message: new RegExp(`channel "${name}" is corrupted: the tail points to offset ${2 ** 30} of chunk 1`) });
  });
});

test('lock words overwritten with something that is no pid do not stall readers or writers', { skip }, async (t) => {
  const { queue } = scratchQueue(t);
  const { words } = channelWordsOf(queue);
  words[4] = -5; // the write lock: "held" by a process group
  words[5] = 2 ** 30; // the read lock: "held" by a pid Linux never gives
  await queue.put('still works');
  assert.equal(await queue.get(), 'still works');
});

const isRoot = process.getuid?.() === 0;
const hasSetpriv = (() => {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const foreignSkip = skip || (!isRoot ? 'needs root, to create a segment as user nobody' : !hasSetpriv ? 'needs setpriv (util-linux)' : false);

/** Creates /dev/shm/<name> as user nobody, readable and writable by all, holding `marker`. */
function createAsNobody(name: string, marker: string): void {
  execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'sh', '-c', `umask 0; printf %s "$1" > "/dev/shm/$2"`, 'sh', marker, name]);
}

test('chunk names another user took are skipped: the channel works, the foreign segments are untouched', { skip: foreignSkip }, async (t) => {
  const { queue, name } = scratchQueue(t);
  const taken = [`${name}-1`, `${name}-3`];
  for (const segment of taken) createAsNobody(segment, `belongs to nobody: ${segment}`);
  t.after(() => {
    for (const segment of taken) rmSync(`/dev/shm/${segment}`, { force: true });
  });
  const owner = statSync(`/dev/shm/${taken[0]}`).uid;
  assert.notEqual(owner, 0);

  const big = new Uint8Array(700_000).fill(7); // two of them overflow the first chunk (1 MiB)
  await queue.put('first');
  await queue.put(big);
  await queue.put(big);
  await queue.put('last');
  assert.equal(await queue.get(), 'first');
  assert.equal(((await queue.get()) as Uint8Array).byteLength, big.byteLength);
  assert.equal(((await queue.get()) as Uint8Array)[699_999], 7);
  assert.equal(await queue.get(), 'last');
  queue.close();
  for (const segment of taken) {
    assert.equal(existsSync(`/dev/shm/${segment}`), true, `${segment} was removed`);
    assert.equal(statSync(`/dev/shm/${segment}`).uid, owner);
    assert.equal(readFileSync(`/dev/shm/${segment}`, 'utf8'), `belongs to nobody: ${segment}`);
  }
  assert.deepEqual(chunksOf(name).sort(), [...taken].sort()); // ours are gone, theirs stay
});
