// No code from a socket (SPEC §10, §14): a socket Connection carries plain data only. The
// receiver is a process outside multiproc's tree (plain child_process.spawn); the sender forges
// frames by hand, since send() refuses handles: genuine handle records made by the codec itself
// (pointing at real shared memory of the sender), a Barrier whose action would print and write
// a marker, a data: module action that would write one as it is imported, and records of every
// tag with made-up data. Nothing may run, recv rejects with the TypeError, and the connection
// goes on carrying plain data.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { serialize } from 'node:v8';
import * as mp from 'multiproc';
import * as mpIpc from 'multiproc/ipc';
import * as tree from '../../src/index.ts';
import * as treeIpc from '../../src/ipc/index.ts';
import { encodeValue } from '../../src/tasks/codec.ts';
import { createRandom, forgedRecordData, frameOf, HANDLE_TAGS, handleFrame, handleRecord, jsonBytes, Kind, rawClientHandshake } from '../helpers/fuzz-frames.ts';
import { startReceiver } from '../helpers/receiver.ts';

const AUTHKEY = 'the shared secret';

/** Each handle kind multiproc has, made by `lib` and `ipc` (the package, or the same classes from source). */
function handles(lib: typeof mp, ipc: typeof mpIpc): [string, () => object, () => void][] {
  const made: { close?: () => void; unlink?: () => void; shm?: { unlink(): void; close(): void } }[] = [];
  const keep = <T extends object>(value: T, cleanup: () => void): T => {
    made.push({ close: cleanup });
    return value;
  };
  const cleanupAll = (): void => {
    for (const item of made.splice(0)) item.close?.();
  };
  return [
    ['Lock', () => new lib.Lock(), cleanupAll],
    ['RLock', () => new lib.RLock(), cleanupAll],
    ['Semaphore', () => new lib.Semaphore(2), cleanupAll],
    ['BoundedSemaphore', () => new lib.BoundedSemaphore(2), cleanupAll],
    ['Condition', () => new lib.Condition(), cleanupAll],
    ['Event', () => new lib.Event(), cleanupAll],
    ['Barrier', () => new lib.Barrier(1), cleanupAll],
    ['Queue', () => keep(new lib.Queue(), () => {}), cleanupAll],
    ['JoinableQueue', () => new lib.JoinableQueue(), cleanupAll],
    ['SimpleQueue', () => new lib.SimpleQueue(), cleanupAll],
    [
      'Connection',
      () => {
        const [one, other] = lib.Pipe();
        return keep(one, () => {
          one.close();
          other.close();
        });
      },
      cleanupAll,
    ],
    [
      'SharedMemory',
      () => {
        const memory = new lib.SharedMemory({ create: true, size: 64 });
        return keep(memory, () => {
          memory.close();
          memory.unlink();
        });
      },
      cleanupAll,
    ],
    [
      'ShareableList',
      () => {
        const list = new lib.ShareableList([1, 'two']);
        return keep(list, () => {
          list.shm.close();
          list.shm.unlink();
        });
      },
      cleanupAll,
    ],
    [
      'PosixMessageQueue',
      () => {
        const queue = new ipc.PosixMessageQueue(`/mp-test-socket-${process.pid}`, { create: true });
        return keep(queue, () => {
          queue.close();
          queue.unlink();
        });
      },
      cleanupAll,
    ],
    [
      'PosixSemaphore',
      () => {
        const semaphore = new ipc.PosixSemaphore(`/mp-test-socket-${process.pid}`, { create: true });
        return keep(semaphore, () => {
          semaphore.close();
          semaphore.unlink();
        });
      },
      cleanupAll,
    ],
    ['Value', () => new lib.Value('i', 7), cleanupAll],
    ['RawValue', () => new lib.RawValue('d', 1.5), cleanupAll],
    ['SharedArray', () => new lib.SharedArray('i', 4), cleanupAll],
    ['RawArray', () => new lib.RawArray('b', 4), cleanupAll],
  ];
}

/** A frame holding the genuine record the codec writes for `value` (sent within the tree, it would rebuild). */
function genuineFrame(value: unknown, kind: number = Kind.ValueWithHandles): Buffer {
  return frameOf(kind, serialize(encodeValue(value, 'forged', 'process').value));
}

async function rawConnect(port: number, authkey: string | undefined): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  if (authkey !== undefined) await rawClientHandshake(socket, authkey);
  return socket;
}

describe('a socket Connection refuses to send handles', () => {
  test('send() of each handle kind throws a TypeError naming where it sits, and plain data still goes', async (t) => {
    const listener = new mp.Listener({ address: { host: '127.0.0.1', port: 0 } });
    t.after(() => listener.close());
    await listener.listening;
    const [client, server] = await Promise.all([mp.Client({ address: listener.address }), listener.accept()]);
    t.after(() => {
      client.close();
      server.close();
    });
    for (const [name, make, cleanup] of handles(mp, mpIpc)) {
      t.after(cleanup);
      const handle = make();
      assert.throws(() => client.send({ lock: handle }), {
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_VALUE',
        message: new RegExp(`^Connection\\.send: obj\\.lock: a ${name} \\(a handle to a resource of this process tree\\) cannot be sent over a socket Connection`),
      });
      assert.throws(() => client.send([1, new Map([['k', handle]])]), { code: 'ERR_INVALID_ARG_VALUE', message: /^Connection\.send: obj\[1\]<value 0>: a / });
    }
    assert.throws(() => client.send({ callback: () => 1 }), { code: 'ERR_INVALID_ARG_VALUE', message: /obj\.callback: functions/ });
    assert.throws(() => client.send({ forged: handleRecord('lock', {}) }), { code: 'ERR_INVALID_ARG_VALUE', message: /obj\.forged: an object with the key/ });
    client.send({ plain: [1, 'two', new Error('errors are data', { cause: new RangeError('inner') })] });
    const received = await server.recv<{ plain: [number, string, Error] }>();
    assert.deepEqual(received.plain.slice(0, 2), [1, 'two']);
    assert.ok(received.plain[2] instanceof Error);
    assert.ok((received.plain[2].cause as Error) instanceof RangeError);
  });

  test('the same handles still travel over the tree\'s own Pipe', async (t) => {
    const [one, other] = mp.Pipe();
    t.after(() => {
      one.close();
      other.close();
    });
    const event = new mp.Event();
    one.send({ event });
    const { event: copy } = await other.recv<{ event: mp.Event }>();
    copy.set();
    assert.equal(event.isSet(), true);
  });
});

for (const authkey of [undefined, AUTHKEY]) {
  describe(`a receiver outside the tree ${authkey ? 'with' : 'without'} an authkey`, () => {
    test('refuses forged handle records of every kind; nothing runs, and plain data still flows on the same connection', async (t) => {
      const directory = mkdtempSync(join(tmpdir(), 'multiproc-marker-'));
      t.after(() => rmSync(directory, { recursive: true, force: true }));
      const marker = join(directory, 'ran');
      const receiver = await startReceiver(authkey ? { authkey } : {});
      t.after(() => receiver.stop());

      const frames: Buffer[] = [];
      // Genuine records, as the codec writes them within the tree (real blocks of this process).
      for (const [, make, cleanup] of handles(tree as unknown as typeof mp, treeIpc as unknown as typeof mpIpc)) {
        t.after(cleanup);
        const value = make();
        frames.push(genuineFrame({ nested: [value] }), genuineFrame(value, Kind.Value));
      }
      // A Barrier whose action is inline source, and one whose action is a data: module.
      const barrier = encodeValue(new tree.Barrier(1), 'forged', 'process').value as Record<string, { settings: Record<string, unknown> }>;
      const source = `async () => { process.stdout.write('PWNED\\n'); (await import('node:fs')).writeFileSync(${JSON.stringify(marker)}, 'source'); }`;
      barrier.data!.settings.action = { kind: 'source', source, name: 'action' };
      frames.push(frameOf(Kind.ValueWithHandles, serialize(barrier)));
      const module = `data:text/javascript,import{writeFileSync}from"node:fs";writeFileSync(${JSON.stringify(marker)},"module");export function action(){}`;
      barrier.data!.settings.action = { kind: 'module', module, name: 'action' };
      frames.push(frameOf(Kind.ValueWithHandles, serialize([barrier])));
      // Every tag, with made-up data.
      const random = createRandom(10);
      for (const tag of HANDLE_TAGS) frames.push(handleFrame(tag, forgedRecordData(tag, random), (record) => ({ inside: new Set([record]) })));
      // Every tag again as JSON text, the record kind of small plain data.
      for (const tag of HANDLE_TAGS) frames.push(frameOf(Kind.Json, jsonBytes({ inside: [handleRecord(tag, forgedRecordData(tag, random))] })));

      const socket = await rawConnect(receiver.port, authkey);
      t.after(() => socket.destroy());
      for (const frame of frames) socket.write(frame);
      socket.write(frameOf(Kind.Value, serialize({ echo: 'after the forged frames' })));
      await receiver.next((event) => event.event === 'recv' && event.type === 'Object');

      const connectionEvents = receiver.events.filter((event) => event.conn === 1 && event.event !== 'accepted');
      const refusals = connectionEvents.filter((event) => event.event === 'recv-error');
      assert.equal(refusals.length, frames.length, receiver.output());
      for (const refusal of refusals) {
        assert.equal(refusal.name, 'TypeError', receiver.output());
        assert.equal(refusal.code, 'ERR_INVALID_ARG_VALUE');
        assert.match(refusal.message as string, /^Connection\.recv: message.*: a handle record \(".+"\) arrived from a peer outside this process tree and was refused/);
      }
      assert.deepEqual(
        connectionEvents.map((event) => event.event),
        [...frames.map(() => 'recv-error'), 'recv'],
      );
      assert.equal(existsSync(marker), false, 'a forged action ran');
      assert.doesNotMatch(receiver.output(), /PWNED/);
      assert.equal(receiver.alive(), true);
      const stats = await receiver.stats();
      assert.deepEqual(stats.uncoded, []);
    });
  });
}
