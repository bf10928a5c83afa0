// How PosixMessageQueue's sends and receives wait: one done at once when the queue allows it,
// the others woken by the descriptor watch, which stays armed from one wait to the next and is
// disarmed once nothing waits (so a process whose waits are over can end). Every queue a test
// makes is unlinked by name in its teardown.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { PosixMessageQueue } from 'multiproc/ipc';
import { loadNative } from '../../src/native/loader.ts';
import { startNode, uniquePosixName } from '../helpers/peers.ts';

const skip = loadNative() ? false : 'the native addon is not built here';

/** A new queue, closed and unlinked when the test ends. */
function newQueue(t: TestContext, options: { maxMessages?: number; messageSize?: number } = {}): PosixMessageQueue {
  const name = uniquePosixName('mq-waits');
  t.after(() => PosixMessageQueue.unlink(name));
  const queue = new PosixMessageQueue(name, { create: true, exclusive: true, ...options });
  t.after(() => queue.close());
  return queue;
}

/** Resolves after the timers phase of a later turn of the event loop. */
const laterTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

test('messages already queued are received at once, each into a buffer of its own', { skip }, async (t) => {
  const queue = newQueue(t, { maxMessages: 4, messageSize: 64 });
  await queue.send(Buffer.alloc(64, 1), { priority: 1 });
  await queue.send('short');
  await queue.send(new Uint8Array([9, 8, 7]));
  const first = await queue.receive();
  const second = await queue.receive();
  const third = await queue.receive();
  // The later receives did not write over what the first one returned.
  assert.deepEqual(first, { data: Buffer.alloc(64, 1), priority: 1 });
  assert.deepEqual(second, { data: Buffer.from('short'), priority: 0 });
  assert.deepEqual(third, { data: Buffer.from([9, 8, 7]), priority: 0 });
  second.data.fill(0);
  assert.deepEqual(third.data, Buffer.from([9, 8, 7]));
});

test('null options mean the defaults, as undefined does', { skip }, async (t) => {
  const queue = newQueue(t, { maxMessages: 2, messageSize: 16 });
  await queue.send('null options', null as unknown as undefined);
  assert.deepEqual(await queue.receive(null as unknown as undefined), { data: Buffer.from('null options'), priority: 0 });
});

test('a message of the full messageSize with the highest priority comes through exact', { skip }, async (t) => {
  const queue = newQueue(t, { maxMessages: 2, messageSize: 8192 });
  const bytes = Buffer.alloc(8192);
  for (let index = 0; index < bytes.length; index++) bytes[index] = (index * 7) % 256;
  await queue.send(bytes, { priority: 32767 });
  assert.deepEqual(await queue.receive(), { data: bytes, priority: 32767 });
  const waiting = queue.receive();
  await laterTurn();
  await queue.send(bytes, { priority: 32766 });
  assert.deepEqual(await waiting, { data: bytes, priority: 32766 });
});

test('receives made one after another as each resolves get every message a timer sends, in order', { skip }, async (t) => {
  const queue = newQueue(t);
  const texts = ['one', 'two', 'three', 'four', 'five'];
  let next = 0;
  // One message per timer: each finds the previous receive's successor already waiting.
  const timer = setInterval(() => {
    if (next < texts.length) void queue.send(texts[next++]);
  }, 2);
  t.after(() => clearInterval(timer));
  const received: string[] = [];
  for (const _ of texts) received.push((await queue.receive()).data.toString());
  assert.deepEqual(received, texts);
});

test('sends made one after another on a full queue are each woken when a timer makes room', { skip }, async (t) => {
  const queue = newQueue(t, { maxMessages: 1, messageSize: 8 });
  const taken: string[] = [];
  // Takes the first three messages, one per timer; the fourth stays for the test.
  const timer = setInterval(() => {
    if (taken.length === 3) return clearInterval(timer);
    void queue.receive({ timeout: 0 }).then(
      ({ data }) => taken.push(data.toString()),
      () => {}, // nothing queued at this tick
    );
  }, 2);
  t.after(() => clearInterval(timer));
  for (const text of ['a', 'b', 'c', 'd']) await queue.send(text);
  assert.deepEqual(taken, ['a', 'b', 'c']);
  assert.equal((await queue.receive()).data.toString(), 'd');
});

test('a receive aborted while the watch is still armed from the previous one takes nothing', { skip }, async (t) => {
  const queue = newQueue(t);
  const controller = new AbortController();
  const first = queue.receive();
  await laterTurn();
  await queue.send('first');
  // Made as the first one resolves, before the watch could be disarmed.
  const second = first.then(() => queue.receive({ signal: controller.signal }));
  assert.equal((await first).data.toString(), 'first');
  setTimeout(() => controller.abort(new Error('enough')), 5);
  await assert.rejects(second, { message: 'enough' });
  await queue.send('kept');
  assert.equal(queue.attributes().currentMessages, 1);
  assert.equal((await queue.receive()).data.toString(), 'kept');
});

test('closing the queue while the watch is still armed from the previous receive ends the next one', { skip }, async (t) => {
  const queue = newQueue(t);
  const first = queue.receive();
  await laterTurn();
  await queue.send('first');
  const second = first.then(() => {
    const waiting = queue.receive();
    queue.close();
    return waiting;
  });
  assert.equal((await first).data.toString(), 'first');
  await assert.rejects(second, { name: 'InvalidStateError', message: /closed while this call waited/ });
});

test('a process whose receives were woken by the watch, or aborted, exits by itself once nothing waits', { skip, timeout: 60_000 }, async (t) => {
  const queue = newQueue(t);
  // The program never closes its queue, and keeps it reachable (a queue collected as garbage
  // would be closed): only a disarmed watch lets its event loop end. Its last receive is woken
  // by the watch and followed by nothing, so the watch is disarmed after that callback.
  const peer = startNode(
    t,
    `import { PosixMessageQueue } from 'multiproc/ipc';
     const queue = new PosixMessageQueue(${JSON.stringify(queue.name)});
     globalThis.keptQueue = queue;
     const received = [];
     const first = queue.receive();
     console.log('waiting');
     received.push((await first).data.toString(), (await queue.receive()).data.toString());
     const controller = new AbortController();
     const aborted = queue.receive({ signal: controller.signal });
     setTimeout(() => controller.abort(new Error('stop')), 5);
     await aborted.catch((error) => received.push(error.message));
     const last = queue.receive();
     console.log(received.join(','));
     console.log((await last).data.toString());`,
  );
  assert.equal(await peer.nextLine(), 'waiting');
  for (const text of ['x', 'y']) {
    await queue.send(text);
    await laterTurn();
  }
  assert.equal(await peer.nextLine(), 'x,y,stop');
  await queue.send('z');
  assert.equal(await peer.nextLine(), 'z');
  await peer.succeeded();
  assert.equal(queue.attributes().currentMessages, 0);
});
