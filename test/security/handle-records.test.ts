// Handle records are checked before use, even inside the tree (SPEC §14): a record forged by a
// tree member (wrong sizes, foreign names, blocks in another process's private memory, a pid
// that is gone, settings that do not fit their block) fails with InvalidStateError in the
// receiving child, which does not crash and keeps receiving.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { serialize } from 'node:v8';
import { type Connection, Lock, Pipe, Process } from 'multiproc';
import { RecordKind } from '../../dist/connection/message.js';
import { transportOf } from '../../dist/connection/connection.js';
import { encodeValue } from '../../dist/tasks/codec.js';
import { loadNative } from '../../src/native/loader.ts';
import { type Outcome, reportReceived } from '../fixtures/record-tasks.ts';

const native = loadNative();
const skip = native ? false : 'the native addon is not built here';
const HANDLE_TAG = '\u0000multiproc.handle';

interface RawTransport {
  write(kind: number, parts: readonly Uint8Array[]): void;
}

/** Sends a handle record as a tree member could write it: raw, past every check of send(). */
function sendForged(end: Connection, tag: string, data: unknown): void {
  const transport: RawTransport = transportOf(end);
  transport.write(RecordKind.ValueWithHandles, [serialize({ [HANDLE_TAG]: tag, data })]);
}

/** The block record a real Lock of this process travels with. */
function realBlockRecord(): Record<string, number | string> {
  const encoded = encodeValue(new Lock(), 'lock', 'process').value as { data: { block: Record<string, number | string> } };
  return encoded.data.block;
}

/** A child reporting what each message it receives became; closed and joined after the test. */
async function startReporter(t: { after(fn: () => unknown): void }): Promise<{ send: Connection; replies: Connection; child: Process }> {
  const [childIn, send] = Pipe(false);
  const [replies, childOut] = Pipe(false);
  const child = new Process({ target: reportReceived, args: [childIn, childOut] });
  child.start();
  t.after(async () => {
    if (child.exitCode === null) child.kill();
    await child.join();
    for (const end of [childIn, send, replies, childOut]) end.close();
  });
  return { send, replies, child };
}

/** After the refusals: a genuine Lock still arrives, and the child exits cleanly. */
async function expectStillWorking(send: Connection, replies: Connection, child: Process): Promise<void> {
  send.send(new Lock());
  assert.deepEqual(await replies.recv(), { ok: 'Lock' });
  send.send('stop');
  await child.join();
  assert.equal(child.exitCode, 0);
}

async function expectRefused(replies: Connection, pattern: RegExp): Promise<void> {
  const outcome = (await replies.recv()) as Outcome;
  assert.ok('error' in outcome, `expected a refusal matching ${pattern}, the child got ${JSON.stringify(outcome)}`);
  assert.equal(outcome.error.name, 'InvalidStateError', outcome.error.message);
  assert.equal(outcome.error.code, 'ERR_MP_INVALID_STATE');
  assert.match(outcome.error.message, pattern);
}

test('forged block records on a pipe fail in the child with InvalidStateError, and the next real Lock still works', { skip }, async (t) => {
  const { send, replies, child } = await startReporter(t);
  const real = realBlockRecord();
  const bytes = real.bytes as number;
  const lockOf = (block: unknown) => ({ block, settings: null });

  const directory = mkdtempSync(join(tmpdir(), 'mp-records-'));
  const file = join(directory, 'not-shared-memory');
  writeFileSync(file, Buffer.alloc(65536));
  const fileFd = openSync(file, 'r+');
  const otherMemfd = native!.memfdCreate('other-program');
  native!.resize(otherMemfd, 65536);
  const unsealedMemfd = native!.memfdCreate('multiproc-shared');
  native!.resize(unsealedMemfd, 65536);
  const deadPid = spawnSync('true').pid!;
  t.after(() => {
    closeSync(fileFd);
    native!.closeFd(otherMemfd);
    native!.closeFd(unsealedMemfd);
    rmSync(directory, { recursive: true, force: true });
  });
  const privateBlock = (fd: number) => ({ kind: 'native', pid: process.pid, fd, bytes: 65536, byteOffset: 0, byteLength: 8 });

  const cases: Array<[string, unknown, RegExp]> = [
    ['a block larger than its segment', { ...real, bytes: bytes * 16 }, new RegExp(`claims ${bytes * 16} bytes of a segment of ${bytes}`)],
    ['an offset past the segment', { ...real, byteOffset: bytes + 8 }, /"byteOffset" must be a multiple of 8 within the segment/],
    ['a misaligned offset', { ...real, byteOffset: 3 }, /"byteOffset" must be a multiple of 8/],
    ['a length past the segment', { ...real, byteOffset: 0, byteLength: bytes + 1 }, /"byteLength" must fit/],
    ['an unknown kind', { ...real, kind: 'evil' }, /"kind" must be "native" or "local", received "evil"/],
    ['a negative descriptor', { ...real, fd: -1 }, /"fd" must be a descriptor number, received number -1/],
    ['not an object', 'a string', /expected a block record, received "a string"/],
    ['a regular file the sender opened', privateBlock(fileFd), /not-shared-memory", not a multiproc shared-memory segment/],
    ['another program\'s memfd', privateBlock(otherMemfd), /memfd:other-program \(deleted\)", not a multiproc shared-memory segment/],
    ['a memfd named like multiproc\'s but not sealed', privateBlock(unsealedMemfd), /not sealed against shrinking/],
    ['a process that is gone', { ...real, pid: deadPid }, new RegExp(`process ${deadPid}, which sent it, is gone`)],
    ["the receiver's own standard input", { ...privateBlock(0), pid: child.pid }, /descriptor 0 of process \d+ is ".*", not a multiproc shared-memory segment/],
    ['a block too small for a lock', { ...real, byteLength: 4 }, /needs? 16 bytes/],
  ];
  for (const [what, block, pattern] of cases) {
    await t.test(what, async () => {
      sendForged(send, 'lock', lockOf(block));
      await expectRefused(replies, pattern);
    });
  }

  await expectStillWorking(send, replies, child);
});

test('forged names and settings of shared objects fail in the child with InvalidStateError before anything is opened', { skip }, async (t) => {
  const { send, replies, child } = await startReporter(t);
  const real = realBlockRecord();
  const inFlight = { pid: process.pid, token: 1 };
  const pipeEnd = { name: 'mpc-0123456789abcdef', duplex: true, block: real, end: 0, copy: inFlight };
  const queue = { kind: 'queue', name: 'mpc-0123456789abcdef', block: real, maxsize: 0, copy: inFlight };

  const cases: Array<[string, string, unknown, RegExp]> = [
    ['a SharedMemory named "../x"', 'shared-memory', '../x', /Received SharedMemory: .*name pattern, received "\.\.\/x"/],
    ['a SharedMemory named ".."', 'shared-memory', '..', /Received SharedMemory: .*received "\.\."/],
    ['a SharedMemory name that is not a string', 'shared-memory', 42, /Received SharedMemory: .*received number 42/],
    ['a ShareableList named "/etc/passwd"', 'shareable-list', '/etc/passwd', /Received ShareableList: .*received "\/etc\/passwd"/],
    ['a pipe end named outside multiproc\'s chunks', 'connection', { ...pipeEnd, name: '../../etc/x' }, /Received pipe end: .*"name" must be a pipe's name/],
    ['a pipe end that is neither end', 'connection', { ...pipeEnd, end: 2 }, /"end" must be 0 or 1, received number 2/],
    ['a pipe end on a block too small for a pipe', 'connection', pipeEnd, /Received pipe end: .*bytes long where \d+ are needed/],
    ['a queue of an unknown kind', 'queue', { ...queue, kind: 'evil' }, /Received queue: .*"kind" must be/],
    ['a queue with a negative maxsize', 'queue', { ...queue, maxsize: -1 }, /"maxsize" must be an integer from 0/],
    ['a queue named outside multiproc\'s chunks', 'queue', { ...queue, name: 'mpc-../x' }, /"name" must be a queue's name/],
    ['a queue on a block too small for a queue', 'queue', queue, /Received queue: .*bytes long where \d+ are needed/],
    ['a value of an unknown typecode', 'value', { block: real, settings: { typecode: 'Z', raw: true, lock: false } }, /Received value: its settings are refused/],
    ['a value wider than its block', 'value', { block: { ...real, byteLength: 4 }, settings: { typecode: 'd', raw: true, lock: false } }, /need 8 bytes of shared memory, but the block it names has 4/],
    ['an array longer than its block', 'shared-array', { block: real, settings: { typecode: 'i', length: 1_000_000, raw: true, lock: false } }, /need 4000000 bytes/],
    ['an array of negative length', 'shared-array', { block: real, settings: { typecode: 'i', length: -1, raw: true, lock: false } }, /"length" must be an integer >= 0/],
  ];
  for (const [what, tag, data, pattern] of cases) {
    await t.test(what, async () => {
      sendForged(send, tag, data);
      await expectRefused(replies, pattern);
    });
  }

  await expectStillWorking(send, replies, child);
});
