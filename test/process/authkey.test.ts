import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { type Address, Client, currentProcess, InvalidStateError, Process, Queue } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';
import { putAuthkeys, serveWithOwnAuthkey } from '../fixtures/process-subclasses.ts';
import { endAfter, forEachContext } from '../helpers/contexts.ts';

/** Queue (these tests' way back from the child) needs the native addon. */
const needsQueue = loadNative() === null ? 'Queue needs the native addon' : false;


function startForTest<P extends Process>(t: TestContext, child: P): P {
  endAfter(t, child).start();
  return child;
}

function queueForTest<T>(t: TestContext): Queue<T> {
  const queue = new Queue<T>();
  t.after(() => queue.close());
  return queue;
}

const bytes = (text: string) => [...Buffer.from(text, 'utf8')];

test("a Process's authkey defaults to this process's, and reads back as bytes", (t) => {
  const child = endAfter(t, new Process());
  assert.ok(child.authkey instanceof Uint8Array);
  assert.deepEqual(child.authkey, currentProcess().authkey);
  child.authkey = 'secret';
  assert.deepEqual([...child.authkey], bytes('secret'));
  const key = Uint8Array.of(1, 2, 3);
  child.authkey = key;
  key[0] = 9; // the Process kept a copy
  assert.deepEqual([...child.authkey], [1, 2, 3]);
  child.authkey[1] = 9; // and hands out copies
  assert.deepEqual([...child.authkey], [1, 2, 3]);
  assert.deepEqual([...new Process({ authkey: 'from options' }).authkey], bytes('from options'));
});

test('an authkey that is not a non-empty string or Uint8Array is refused with a TypeError naming it', () => {
  assert.throws(() => new Process({ authkey: 42 as never }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /^Process: "authkey" must be a string or a Uint8Array/ });
  assert.throws(() => new Process({ authkey: '' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /non-empty/ });
  assert.throws(
    () => {
      new Process().authkey = null as never;
    },
    { name: 'TypeError', message: /^Process\.authkey must be/ },
  );
});

test('authkey can be set only before start()', async (t) => {
  const child = startForTest(t, new Process({ context: 'thread' }));
  assert.throws(() => {
    child.authkey = 'too late';
  }, InvalidStateError);
  await child.join();
  assert.throws(() => {
    child.authkey = 'too late';
  }, InvalidStateError);
});

forEachContext((context) => {
  test("a child started with an authkey sees it as currentProcess().authkey, and its own children inherit it", { skip: needsQueue }, async (t) => {
    const keys = queueForTest<number[]>(t);
    const child = endAfter(t, new Process({ target: putAuthkeys, args: [keys, context], context }));
    child.authkey = 'shared by this tree';
    startForTest(t, child);
    assert.deepEqual(await keys.get(), bytes('shared by this tree'));
    assert.deepEqual(await keys.get(), bytes('shared by this tree'));
    await child.join();
    assert.equal(child.exitCode, 0);
  });
});

test("a child's Listener with currentProcess().authkey admits a Client holding the key the child was given", { skip: needsQueue }, async (t) => {
  const addresses = queueForTest<Address>(t);
  const server = startForTest(t, new Process({ target: serveWithOwnAuthkey, args: [addresses], authkey: 'between the two', name: 'server', context: 'process' }));
  const connection = await Client({ address: await addresses.get(), authkey: 'between the two' });
  t.after(() => connection.close());
  assert.equal(await connection.recv(), 'hello from server');
  connection.send('goodbye');
  await server.join();
  assert.equal(server.exitCode, 0);
});
