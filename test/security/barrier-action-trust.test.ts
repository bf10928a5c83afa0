// A Barrier's action travels only as a task reference, and a received Barrier record's action
// resolves only to a registered function (SPEC §14): a forged record, even on the tree's own
// transports, runs no source text and no data: module.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { serialize } from 'node:v8';
import { Barrier, type Connection, Pipe, Process } from 'multiproc';
import { encodeValue } from '../../dist/tasks/codec.js';
import { transportOf } from '../../dist/connection/connection.js';
import { loadNative } from '../../src/native/loader.ts';
import { markBarrierAction, receiveBarrierAndWait, waitOnBarrier } from '../fixtures/trust-tasks.ts';

/** The record kind of a message holding handles (src/connection/message.ts). */
const RECORD_WITH_HANDLES = 1;
const skip = loadNative() ? false : 'the native addon is not built here';

function scratch(t: { after(fn: () => void): void }): string {
  const directory = mkdtempSync(join(tmpdir(), 'multiproc-barrier-'));
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

/** A real barrier's record with its action replaced: what a forger would put on a transport. */
function forgedBarrierRecord(action: unknown): Record<string, unknown> {
  const record = encodeValue(new Barrier(1), 'forge', 'process').value as { data: { settings: Record<string, unknown> } };
  record.data.settings.action = action;
  return record as unknown as Record<string, unknown>;
}

test('a Barrier with an inline action cannot be sent: TypeError at the send, naming where it sits', { skip }, (t) => {
  const [left, right] = Pipe();
  t.after(() => {
    left.close();
    right.close();
  });
  const barrier = new Barrier(2, { action: () => {} });
  assert.throws(() => left.send({ meeting: barrier }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /meeting.*a Barrier that travels needs an action that is a task reference/ });
  assert.throws(() => new Process({ target: waitOnBarrier, args: [barrier] }).start(), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
  left.send(new Barrier(2, { action: markBarrierAction })); // a registered action travels
});

/** Writes a message as a sender's codec would, skipping its checks: a forger on the tree's own transport. */
function sendRaw(connection: Connection, value: unknown): void {
  transportOf(connection).write(RECORD_WITH_HANDLES, [serialize(value)]);
}

function forgedActions(marker: string): unknown[] {
  return [
    { kind: 'source', name: 'evil', source: `() => require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran')` },
    { kind: 'module', module: `data:text/javascript,import { writeFileSync } from 'node:fs'; export function run() { writeFileSync(${JSON.stringify(marker)}, 'ran'); }`, name: 'run' },
    { kind: 'module', module: 'node:child_process', name: 'execSync' },
  ];
}

test('a forged Barrier record with a source action or a data: module action is refused by the receiver, and nothing runs', { skip }, async (t) => {
  const marker = join(scratch(t), 'marker');
  const [left, right] = Pipe();
  t.after(() => {
    left.close();
    right.close();
  });
  for (const action of forgedActions(marker)) {
    sendRaw(left, [forgedBarrierRecord(action)]);
    // A refused record is an InvalidStateError (SPEC §14); the trust check's TypeError is its cause.
    await assert.rejects(right.recv(), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'ERR_MP_INVALID_STATE');
      assert.match(error.message, /Barrier record/);
      assert.equal((error.cause as { code?: string }).code, 'ERR_INVALID_ARG_VALUE');
      return true;
    });
  }
  left.send('still usable');
  assert.equal(await right.recv(), 'still usable');
  assert.equal(existsSync(marker), false, 'a forged action ran');
});

test('a child sent a forged Barrier record refuses it and runs nothing', { skip }, async (t) => {
  const marker = join(scratch(t), 'marker');
  for (const action of forgedActions(marker)) {
    const [left, right] = Pipe();
    const child = new Process({ target: receiveBarrierAndWait, args: [right] });
    t.after(() => {
      child.kill();
      left.close();
    });
    child.start();
    right.close();
    sendRaw(left, [forgedBarrierRecord(action)]);
    await child.join();
    assert.equal(child.exitCode, 1);
  }
  assert.equal(existsSync(marker), false, 'a forged action ran');
});
