// { signal } on Connection.recv/poll/recvBytes/recvBytesInto: aborting rejects with the signal's
// reason and reads nothing, so the next message is there for the next call. The messages come
// from real processes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Connection, Pipe, Process } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';
import { sendAll } from '../fixtures/ipc-tasks.ts';
import { abortSoon } from '../helpers/abort.ts';

const skip = loadNative() ? false : 'the native addon is not built here';

/** A child sends `values` through `end` (its copy), then ends. */
async function childSends(end: Connection, values: unknown[]): Promise<void> {
  const child = new Process({ target: sendAll, args: [end, values] });
  child.start();
  await child.join();
  assert.equal(child.exitCode, 0);
}


test('an aborted recv does not eat the next message a child sends', { skip }, async (t) => {
  const [mine, theirs] = Pipe<string>();
  t.after(() => {
    mine.close();
    theirs.close();
  });
  const { signal, reason } = abortSoon();
  await assert.rejects(mine.recv({ signal }), (error) => error === reason);
  await childSends(theirs, ['first', 'second']);
  assert.equal(await mine.recv(), 'first');
  assert.equal(await mine.recv(), 'second');
});

test('aborted recvBytes, recvBytesInto and poll read nothing either', { skip }, async (t) => {
  const [mine, theirs] = Pipe();
  t.after(() => {
    mine.close();
    theirs.close();
  });
  const first = abortSoon();
  await assert.rejects(mine.recvBytes(undefined, { signal: first.signal }), (error) => error === first.reason);
  const second = abortSoon();
  await assert.rejects(mine.recvBytesInto(new Uint8Array(4), 0, { signal: second.signal }), (error) => error === second.reason);
  const third = abortSoon();
  await assert.rejects(mine.poll(null, { signal: third.signal }), (error) => error === third.reason);
  await childSends(theirs, ['kept']);
  assert.equal(await mine.poll(), true);
  assert.equal(await mine.recv(), 'kept');
});

test('an already-aborted signal rejects at once and leaves the waiting message in place', { skip }, async (t) => {
  const [mine, theirs] = Pipe();
  t.after(() => {
    mine.close();
    theirs.close();
  });
  theirs.send('waiting');
  const signal = AbortSignal.abort();
  await assert.rejects(mine.recv({ signal }), { name: 'AbortError' });
  await assert.rejects(mine.recvBytes(null, { signal }), { name: 'AbortError' });
  await assert.rejects(mine.recvBytesInto(new Uint8Array(64), 0, { signal }), { name: 'AbortError' });
  await assert.rejects(mine.poll(0, { signal }), { name: 'AbortError' });
  assert.equal(await mine.recv(), 'waiting');
});

test('a signal that is not an AbortSignal is a TypeError naming the call', { skip }, async (t) => {
  const [mine, theirs] = Pipe();
  t.after(() => {
    mine.close();
    theirs.close();
  });
  await assert.rejects(mine.recv({ signal: 'no' as never }), { code: 'ERR_INVALID_ARG_TYPE', message: /Connection\.recv: "signal"/ });
  await assert.rejects(mine.poll(0, 'no' as never), { code: 'ERR_INVALID_ARG_TYPE', message: /Connection\.poll: "options"/ });
});
