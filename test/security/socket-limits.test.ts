// Unauthenticated peers cannot stall or exhaust a Listener (SPEC §14): silent and half-sent
// peers hold only their own handshake slot until handshakeTimeout, and are dropped unseen; a
// frame header announcing more than maxMessageSize (or a recvBytes maxLength) is refused
// before anything is allocated, and closes that connection. The receiver runs outside the tree
// (plain child_process.spawn), so its memory is its own to measure.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { serialize } from 'node:v8';
import { Client, type InetAddress, Listener } from 'multiproc';
import { frameOf, HEADER_BYTES, Kind } from '../helpers/fuzz-frames.ts';
import { startReceiver } from '../helpers/receiver.ts';

const AUTHKEY = 'limits secret';
const MiB = 2 ** 20;

async function rawConnect(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.resume(); // what the listener sends is dropped, so its end comes through
  return socket;
}

/** Resolves when the socket is closed, by an end or a reset (once() would reject on the reset's 'error'). */
function closedOf(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.on('close', () => resolve()));
}

/** A header alone, announcing `length` bytes of kind Bytes. */
function headerOnly(length: number): Buffer {
  return frameOf(Kind.Bytes, new Uint8Array(0), length).subarray(0, HEADER_BYTES);
}

describe('silent peers', () => {
  test('three silent peers and a half-sent one keep no one out, and are dropped after handshakeTimeout without surfacing', async (t) => {
    const receiver = await startReceiver({ authkey: AUTHKEY, handshakeTimeout: 3000 });
    t.after(() => receiver.stop());
    const peers = await Promise.all([0, 1, 2, 3].map(() => rawConnect(receiver.port)));
    t.after(() => {
      for (const peer of peers) peer.destroy();
    });
    const closed = peers.map((peer) => closedOf(peer).then(() => true));
    let stillConnected = true;
    void Promise.race(closed).then(() => (stillConnected = false));
    peers[3]!.write(headerOnly(40).subarray(0, 3)); // a handshake frame begun, never finished

    const client = await Client({ address: { host: '127.0.0.1', port: receiver.port }, authkey: AUTHKEY });
    t.after(() => client.close());
    client.send({ echo: 'in while they wait' });
    assert.deepEqual(await client.recv(), { echo: 'in while they wait' });
    assert.equal(stillConnected, true, 'the legitimate client was served only after the silent peers were dropped');

    await Promise.all(closed); // the receiver drops them at their deadline
    const stats = await receiver.stats();
    assert.equal(stats.accepted, 1, receiver.output());
    assert.equal(stats.acceptErrors, 0, receiver.output());
    client.send({ echo: 'still served' });
    assert.deepEqual(await client.recv(), { echo: 'still served' });
  });
});

describe('maxMessageSize and recvBytes(maxLength)', () => {
  test('a header announcing more than maxMessageSize rejects recv with RangeError and closes that connection; nothing is allocated', async (t) => {
    const receiver = await startReceiver({});
    t.after(() => receiver.stop());
    const before = receiver.residentBytes();
    const peer = await rawConnect(receiver.port);
    t.after(() => peer.destroy());
    const peerClosed = closedOf(peer);
    peer.write(frameOf(Kind.Value, serialize('first')));
    peer.write(headerOnly(2 ** 32 - 1));
    const refusal = await receiver.next((event) => event.event === 'recv-error');
    assert.equal(refusal.name, 'RangeError', receiver.output());
    assert.equal(refusal.code, 'ERR_OUT_OF_RANGE');
    assert.match(refusal.message as string, /announces must be at most "maxMessageSize" = 268435456 bytes, received number 4294967295\. Nothing was allocated/);
    await peerClosed;
    assert.ok(receiver.residentBytes() - before < 64 * MiB, `the receiver grew by ${(receiver.residentBytes() - before) / MiB} MiB`);
  });

  test('a header announcing a long frame under the limit costs only the bytes that arrive', async (t) => {
    const receiver = await startReceiver({});
    t.after(() => receiver.stop());
    const before = receiver.residentBytes();
    // Four peers announce 200 MiB each and send 1000 bytes of it: 800 MiB if allocated up front.
    const peers = await Promise.all([0, 1, 2, 3].map(() => rawConnect(receiver.port)));
    t.after(() => {
      for (const peer of peers) peer.destroy();
    });
    for (const peer of peers) peer.write(Buffer.concat([headerOnly(200 * MiB), Buffer.alloc(1000)]));
    const client = await Client({ address: { host: '127.0.0.1', port: receiver.port } });
    t.after(() => client.close());
    for (let round = 0; round < 20; round++) {
      client.send({ echo: round });
      assert.deepEqual(await client.recv(), { echo: round });
    }
    assert.ok(receiver.residentBytes() - before < 100 * MiB, `the receiver grew by ${(receiver.residentBytes() - before) / MiB} MiB`);
  });

  test('a smaller maxMessageSize is enforced the same way, and send() refuses to write past it', async (t) => {
    const receiver = await startReceiver({ maxMessageSize: 1024 });
    t.after(() => receiver.stop());
    const peer = await rawConnect(receiver.port);
    t.after(() => peer.destroy());
    const peerClosed = closedOf(peer);
    peer.write(frameOf(Kind.Bytes, Buffer.alloc(1025)));
    const refusal = await receiver.next((event) => event.event === 'recv-error');
    assert.equal(refusal.code, 'ERR_OUT_OF_RANGE');
    await peerClosed;

    const client = await Client({ address: { host: '127.0.0.1', port: receiver.port }, maxMessageSize: 1024 });
    t.after(() => client.close());
    assert.throws(() => client.sendBytes(Buffer.alloc(1025)), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /"maxMessageSize" = 1024 bytes/ });
    client.send({ echo: 'small' });
    assert.deepEqual(await client.recv(), { echo: 'small' });
  });

  test('recvBytes(maxLength) refuses a longer frame at its header and closes the connection', async (t) => {
    const listener = new Listener({ address: { host: '127.0.0.1', port: 0 } });
    t.after(() => listener.close());
    await listener.listening;
    const peer = await rawConnect((listener.address as InetAddress).port);
    t.after(() => peer.destroy());
    const server = await listener.accept();
    t.after(() => server.close());
    const peerClosed = closedOf(peer);
    peer.write(frameOf(Kind.Bytes, Buffer.from('short enough')));
    peer.write(headerOnly(200 * MiB));
    assert.equal(Buffer.from(await server.recvBytes(100)).toString(), 'short enough');
    await assert.rejects(server.recvBytes(1000), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /at most "maxLength" = 1000 bytes, received number 209715200/ });
    await peerClosed;
  });
});
