// Listener and Client over real sockets (TCP on 127.0.0.1 and unix sockets in the temp
// directory). Raw peers (node:net) speak the wire format by hand: frames are
// [uint32 big-endian length][uint8 kind] + bytes; kind 255 carries the authkey handshake.

import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  AuthenticationError,
  Client,
  Connection,
  currentProcess,
  EOFError,
  type InetAddress,
  InvalidStateError,
  Listener,
  Process,
  wait,
} from 'multiproc';
import { helloToListener } from '../fixtures/ipc-tasks.ts';
import { endAfter, forEachContext } from '../helpers/contexts.ts';
import { transportOf } from '../../dist/connection/connection.js';

const LOOPBACK = { host: '127.0.0.1', port: 0 };
const HANDSHAKE = 255;
/** Raw bytes (Connection.sendBytes). */
const BYTES = 2;

/** A TCP listener on a free loopback port, bound. */
async function tcpListener(authkey?: string | Uint8Array): Promise<Listener> {
  const listener = new Listener({ address: LOOPBACK, authkey });
  await listener.listening;
  return listener;
}

function inetAddress(listener: Listener): InetAddress {
  const { address } = listener;
  assert.equal(typeof address, 'object');
  return address as InetAddress;
}

interface Pair extends Disposable {
  readonly server: Connection;
  readonly client: Connection;
}

/** Both ends of one connection, the accepted one and the client's; disposing closes both. */
async function connectedPair(listener: Listener, authkey?: string | Uint8Array): Promise<Pair> {
  const [server, client] = await Promise.all([listener.accept(), Client({ address: listener.address, authkey })]);
  return {
    server,
    client,
    [Symbol.dispose]: () => {
      server.close();
      client.close();
    },
  };
}

function socketPath(): string {
  return join(tmpdir(), `mp-listener-test-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
}

function frame(kind: number, bytes: Uint8Array, length = bytes.length): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(length, 0);
  header[4] = kind;
  return Buffer.concat([header, bytes]);
}

/** A peer that writes and reads frames by hand, over a plain node:net socket; disposing destroys it. */
class RawPeer implements Disposable {
  readonly socket: Socket;
  readonly closed: Promise<unknown>;
  #received = Buffer.alloc(0);
  #wake: (() => void) | null = null;
  #isEnded = false;

  constructor(socket: Socket) {
    this.socket = socket;
    this.closed = once(socket, 'close');
    socket.on('error', () => {}); // the listener may reset it: that is what some tests expect
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#wake?.();
    });
    socket.on('close', () => {
      this.#isEnded = true;
      this.#wake?.();
    });
  }

  static async connect(address: InetAddress): Promise<RawPeer> {
    const socket = connect(address.port, address.host);
    await once(socket, 'connect');
    return new RawPeer(socket);
  }

  send(kind: number, bytes: Uint8Array): void {
    this.socket.write(frame(kind, bytes));
  }

  [Symbol.dispose](): void {
    this.socket.destroy();
  }

  async nextFrame(): Promise<{ kind: number; bytes: Buffer }> {
    for (;;) {
      const length = this.#received.length >= 5 ? this.#received.readUInt32BE(0) : -1;
      if (length >= 0 && this.#received.length >= 5 + length) {
        const kind = this.#received[4]!;
        const bytes = this.#received.subarray(5, 5 + length);
        this.#received = this.#received.subarray(5 + length);
        return { kind, bytes };
      }
      if (this.#isEnded) throw new Error('the raw peer was closed before a whole frame came');
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }
}

function answerTo(authkey: string, message: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from('{sha256}'), createHmac('sha256', authkey).update(message).digest()]);
}

/** Python's client side of the handshake, written out: answer the challenge, then challenge back. */
async function authenticateByHand(peer: RawPeer, authkey: string): Promise<void> {
  const challenge = await peer.nextFrame();
  assert.equal(challenge.kind, HANDSHAKE);
  assert.match(challenge.bytes.toString('latin1'), /^#CHALLENGE#\{sha256\}/);
  peer.send(HANDSHAKE, answerTo(authkey, challenge.bytes.subarray('#CHALLENGE#'.length)));
  assert.equal((await peer.nextFrame()).bytes.toString(), '#WELCOME#');
  const mine = Buffer.concat([Buffer.from('{sha256}'), randomBytes(40)]);
  peer.send(HANDSHAKE, Buffer.concat([Buffer.from('#CHALLENGE#'), mine]));
  assert.deepEqual((await peer.nextFrame()).bytes, answerTo(authkey, mine)); // the listener knows the key
  peer.send(HANDSHAKE, Buffer.from('#WELCOME#'));
}

describe('TCP', () => {
  test('port 0: the chosen port is the address; values keep their types both ways', async () => {
    using listener = new Listener({ address: LOOPBACK });
    await listener.listening;
    const { host, port } = inetAddress(listener);
    assert.equal(host, '127.0.0.1');
    assert.ok(Number.isInteger(port) && port > 0);
    using pair = await connectedPair(listener);
    const { server, client } = pair;
    const small = [1, 'two', { three: [3n] }, new Map([[4, 'four']]), new Date(5), Buffer.from('six'), new Float64Array([7.5]), new Uint16Array([8, 9]), null];
    const large = [new Float64Array(4096).fill(1.5), randomBytes(20_000), new DataView(new ArrayBuffer(16_384))]; // sent without v8 serialization
    const values = [...small, ...large];
    for (const value of values) client.send(value);
    for (const value of values) {
      const received = await server.recv();
      assert.deepEqual(received, value);
      if (value !== null) assert.equal(Object.getPrototypeOf(received), Object.getPrototypeOf(value));
    }
    server.send({ back: new Int32Array([-1]) });
    assert.deepEqual(await client.recv(), { back: new Int32Array([-1]) });
    assert.match(String(client), /<Connection socket to 127\.0\.0\.1:\d+>/);
  });

  test('an explicit port is the address at once', async () => {
    let port: number;
    {
      using probe = await tcpListener();
      port = inetAddress(probe).port;
    }
    using listener = new Listener({ address: { host: '127.0.0.1', port } });
    assert.deepEqual(listener.address, { host: '127.0.0.1', port });
    await listener.listening;
    assert.deepEqual(listener.address, { host: '127.0.0.1', port });
  });

  test('lastAcceptedFrom is null before the first accept, then the peer', async () => {
    using listener = await tcpListener();
    const before = listener.lastAcceptedFrom;
    assert.equal(before, null);
    using pair = await connectedPair(listener);
    pair.client.send('hello');
    assert.equal(await pair.server.recv(), 'hello');
    const from = listener.lastAcceptedFrom as InetAddress;
    assert.equal(from.host, '127.0.0.1');
    assert.ok(Number.isInteger(from.port) && from.port > 0 && from.port !== inetAddress(listener).port);
  });

  test('sendBytes, recvBytes and recvBytesInto keep message boundaries, large and empty ones too', async () => {
    using listener = await tcpListener();
    using pair = await connectedPair(listener);
    const { server, client } = pair;
    const large = randomBytes(5 * 1024 * 1024);
    client.sendBytes(Buffer.from('hello world'), 6);
    client.sendBytes(large);
    client.sendBytes(new Uint8Array(0));
    client.sendBytes(new Uint16Array([1, 2, 3]));
    assert.equal(Buffer.from(await server.recvBytes()).toString(), 'world');
    assert.deepEqual(Buffer.from(await server.recvBytes()), large);
    assert.equal((await server.recvBytes()).byteLength, 0);
    const into = new Uint8Array(10);
    assert.equal(await server.recvBytesInto(into, 2), 6);
    assert.deepEqual([...into.subarray(2, 8)], [1, 0, 2, 0, 3, 0]);
    const sent = Buffer.from('changed after send');
    server.sendBytes(sent);
    sent.fill(0); // send() copied it: the message is what it was when sent
    assert.equal(Buffer.from(await client.recvBytes()).toString(), 'changed after send');
    assert.equal(await client.poll(), false);
    server.send('ready');
    assert.equal(await client.poll(null), true);
    assert.equal(await client.recv(), 'ready');
  });

  test('recv rejects with EOFError once the peer closed and its messages were read; send then throws', async () => {
    using listener = await tcpListener();
    using pair = await connectedPair(listener);
    const { server, client } = pair;
    client.send(1);
    client.send(2);
    client.close();
    assert.equal(await server.recv(), 1);
    assert.equal(await server.recv(), 2);
    await assert.rejects(server.recv(), { name: 'EOFError', message: /socket to 127\.0\.0\.1:\d+ is closed/ });
    assert.equal(await server.poll(), true);
    assert.throws(() => server.send(3), { code: 'EPIPE', message: /socket to 127\.0\.0\.1/ });
  });

  test('Client rejects when nobody listens', async () => {
    let port: number;
    {
      using probe = await tcpListener();
      port = inetAddress(probe).port;
    }
    await assert.rejects(Client({ address: { host: '127.0.0.1', port } }), { code: 'ECONNREFUSED', message: /Client: cannot connect to the socket to 127\.0\.0\.1/ });
  });
});

describe('unix sockets', () => {
  test('a round trip over a path; the file is removed by close()', async () => {
    const path = socketPath();
    using listener = new Listener({ address: path, authkey: 'key' });
    assert.equal(listener.address, path); // bound on return
    assert.ok(existsSync(path));
    using pair = await connectedPair(listener, 'key');
    const { server, client } = pair;
    assert.equal(listener.lastAcceptedFrom, path);
    client.send({ over: 'unix' });
    assert.deepEqual(await server.recv(), { over: 'unix' });
    server.sendBytes(Buffer.from('bytes'));
    assert.equal(Buffer.from(await client.recvBytes()).toString(), 'bytes');
    assert.match(String(client), /unix socket/);
    listener.close();
    assert.equal(existsSync(path), false);
    // the connections outlive their listener
    client.send('still here');
    assert.equal(await server.recv(), 'still here');
  });

  test('an existing path fails like EADDRINUSE and is left alone', () => {
    const path = socketPath();
    writeFileSync(path, 'not ours');
    try {
      assert.throws(() => new Listener({ address: path }), { code: 'EADDRINUSE', message: /already exists/ });
      assert.ok(existsSync(path));
    } finally {
      rmSync(path);
    }
  });
});

describe('authkey', () => {
  for (const [kind, authkey] of [
    ['string', 'secret'],
    ['Uint8Array', new Uint8Array(randomBytes(32))],
  ] as const) {
    test(`the same ${kind} key on both sides connects`, async () => {
      using listener = await tcpListener(authkey);
      using pair = await connectedPair(listener, authkey);
      const { server, client } = pair;
      client.send({ hello: 'listener' });
      assert.deepEqual(await server.recv(), { hello: 'listener' });
      server.send('hello client');
      assert.equal(await client.recv(), 'hello client');
    });
  }

  test('a wrong key rejects both accept() and Client(); the listener goes on', async () => {
    using listener = await tcpListener('right');
    const [accepted, connected] = await Promise.allSettled([listener.accept(), Client({ address: listener.address, authkey: 'wrong' })]);
    assert.equal(accepted.status, 'rejected');
    assert.ok(accepted.reason instanceof AuthenticationError, String(accepted.reason));
    assert.match(accepted.reason.message, /Listener\.accept: .*different authkey/);
    assert.equal(connected.status, 'rejected');
    assert.ok(connected.reason instanceof AuthenticationError, String(connected.reason));
    assert.equal(connected.reason.code, 'ERR_MP_AUTHENTICATION');
    using pair = await connectedPair(listener, 'right');
    const { server, client } = pair;
    client.send('after a failure');
    assert.equal(await server.recv(), 'after a failure');
  });

  test('a key on one side only fails: the listener has one', async () => {
    using listener = await tcpListener('secret');
    const accepted = listener.accept();
    using client = await Client({ address: listener.address }); // no handshake on its side
    client.send('unauthenticated');
    await assert.rejects(accepted, { name: 'AuthenticationError', message: /before the authkey handshake was over/ });
    await assert.rejects(client.recv(), (error: Error) => error instanceof EOFError || /given no authkey/.test(error.message));
  });

  test('a key on one side only fails: the client has one', async () => {
    using listener = await tcpListener();
    const connecting = Client({ address: listener.address, authkey: 'secret' });
    using server = await listener.accept();
    server.send('no challenge here');
    await assert.rejects(connecting, { name: 'AuthenticationError', message: /before the authkey handshake was over/ });
    await assert.rejects(server.recv(), EOFError);
  });

  test('the handshake is Python\'s, both ways (checked by a hand-written peer)', async () => {
    using listener = await tcpListener('secret');
    const accepted = listener.accept();
    using peer = await RawPeer.connect(inetAddress(listener));
    await authenticateByHand(peer, 'secret');
    using server = await accepted;
    peer.send(BYTES, Buffer.from('raw bytes'));
    assert.equal(Buffer.from(await server.recvBytes()).toString(), 'raw bytes');
    server.close();
    await peer.closed;
  });

  test('a huge length from an unauthenticated peer is refused at its header; the listener goes on', async () => {
    using listener = await tcpListener('secret');
    const accepted = listener.accept();
    using peer = await RawPeer.connect(inetAddress(listener));
    assert.equal((await peer.nextFrame()).kind, HANDSHAKE); // the challenge
    peer.socket.write(frame(HANDSHAKE, Buffer.alloc(0), 0xffff_fff0)); // a header, and nothing of the body
    await assert.rejects(accepted, { name: 'AuthenticationError', message: /4294967280-byte message .* at most 256 bytes/ });
    await peer.closed; // the listener closed it without waiting for the 4 GiB
    using pair = await connectedPair(listener, 'secret');
    const { server, client } = pair;
    client.send('next client');
    assert.equal(await server.recv(), 'next client');
  });

  test('a 257-byte handshake message is refused', async () => {
    using listener = await tcpListener('secret');
    const accepted = listener.accept();
    using peer = await RawPeer.connect(inetAddress(listener));
    peer.send(HANDSHAKE, Buffer.alloc(257));
    await assert.rejects(accepted, AuthenticationError);
    await peer.closed;
  });

  test('a peer that leaves during the handshake is dropped unseen: accept() yields the next client', async () => {
    using listener = await tcpListener('secret');
    const accepted = listener.accept();
    using peer = await RawPeer.connect(inetAddress(listener));
    peer.socket.end();
    await peer.closed;
    using client = await Client({ address: listener.address, authkey: 'secret' });
    using server = await accepted;
    client.send('after the one that left');
    assert.equal(await server.recv(), 'after the one that left');
  });
});

describe('malformed frames', () => {
  test('after authentication, an unknown kind rejects recv naming the socket; earlier messages still arrive', async () => {
    using listener = await tcpListener('secret');
    const accepted = listener.accept();
    using peer = await RawPeer.connect(inetAddress(listener));
    await authenticateByHand(peer, 'secret');
    using server = await accepted;
    peer.send(BYTES, Buffer.from('fine'));
    peer.send(200, Buffer.from('not a record kind'));
    assert.equal(Buffer.from(await server.recvBytes()).toString(), 'fine');
    await assert.rejects(server.recv(), { name: 'InvalidStateError', message: /socket to 127\.0\.0\.1:\d+: a malformed frame arrived \(record kind 200/ });
    await assert.rejects(server.recv(), InvalidStateError); // and it stays broken
    await peer.closed;
  });

  test('a stream that ends inside a message rejects recv with EOFError', async () => {
    using listener = await tcpListener();
    const accepted = listener.accept();
    using peer = await RawPeer.connect(inetAddress(listener));
    using server = await accepted;
    peer.socket.end(frame(BYTES, Buffer.from('short'), 100));
    await assert.rejects(server.recvBytes(), { name: 'EOFError', message: /in the middle of a message \(5 of 100 bytes/ });
    server.close();
    await peer.closed;
  });

  test('a Client without authkey receiving a challenge-kind frame reports it', async () => {
    using listener = await tcpListener();
    const accepted = listener.accept();
    using client = await Client({ address: listener.address });
    using server = await accepted;
    transportOf(server).write(HANDSHAKE, [Buffer.from('#CHALLENGE#')]);
    await assert.rejects(client.recv(), { message: /authkey challenge, but this end was given no authkey/ });
  });
});

describe('Listener lifecycle and arguments', () => {
  test('close() rejects a pending accept and later ones with InvalidStateError', async () => {
    using listener = await tcpListener();
    const pending = listener.accept();
    listener.close();
    await assert.rejects(pending, { name: 'InvalidStateError', message: /closed/ });
    await assert.rejects(listener.accept(), InvalidStateError);
    assert.equal(listener.closed, true);
  });

  test('close() during a handshake closes that peer and rejects the waiting accept with InvalidStateError', async () => {
    using listener = await tcpListener('secret');
    const accepted = listener.accept();
    using peer = await RawPeer.connect(inetAddress(listener));
    await peer.nextFrame(); // the challenge: the handshake is under way
    listener.close();
    await assert.rejects(accepted, { name: 'InvalidStateError', message: /the listener is closed/ });
    await peer.closed;
  });

  test('bad arguments are named, with what was expected and what came', async () => {
    assert.throws(() => new Listener(undefined as never), { code: 'ERR_INVALID_ARG_TYPE', message: /Listener: options/ });
    assert.throws(() => new Listener({ address: 4000 as never }), { code: 'ERR_INVALID_ARG_TYPE', message: /"address" must be an object \{ host, port \} or a unix socket path.*received number 4000/ });
    assert.throws(() => new Listener({ address: { host: '127.0.0.1', port: 70000 } }), { code: 'ERR_OUT_OF_RANGE', message: /"address\.port"/ });
    assert.throws(() => new Listener({ address: 'listener.sock', family: 'AF_INET' }), { code: 'ERR_INVALID_ARG_VALUE', message: /"address"/ });
    assert.throws(() => new Listener({ address: LOOPBACK, family: 'AF_INET6' as never }), { code: 'ERR_INVALID_ARG_VALUE', message: /"family"/ });
    assert.throws(() => new Listener({ address: LOOPBACK, authkey: '' }), { code: 'ERR_INVALID_ARG_VALUE', message: /"authkey"/ });
    assert.throws(() => new Listener({ address: LOOPBACK, authkey: 42 as never }), { code: 'ERR_INVALID_ARG_TYPE', message: /"authkey" must be a string or a Uint8Array/ });
    assert.throws(() => new Listener({ address: LOOPBACK, backlog: -1 }), { code: 'ERR_OUT_OF_RANGE', message: /"backlog"/ });
    await assert.rejects(Client({ address: LOOPBACK }), { code: 'ERR_OUT_OF_RANGE', message: /Client: "address\.port"/ });
    await assert.rejects(Client({ address: { host: '', port: 1 } }), { code: 'ERR_INVALID_ARG_TYPE', message: /"address\.host"/ });
  });

  test('handshakeTimeout and maxMessageSize are checked as the Listener and Client are made', async () => {
    const address = { host: '127.0.0.1', port: 1 };
    assert.throws(() => new Listener({ address: LOOPBACK, handshakeTimeout: '5s' as never }), { code: 'ERR_INVALID_ARG_TYPE', message: /Listener: "handshakeTimeout"/ });
    assert.throws(() => new Listener({ address: LOOPBACK, handshakeTimeout: 0 }), { code: 'ERR_OUT_OF_RANGE', message: /Listener: "handshakeTimeout"/ });
    assert.throws(() => new Listener({ address: LOOPBACK, handshakeTimeout: 2 ** 31 }), { code: 'ERR_OUT_OF_RANGE', message: /Listener: "handshakeTimeout" must be milliseconds from 1 to 2147483647/ });
    assert.throws(() => new Listener({ address: LOOPBACK, maxMessageSize: 1.5 }), { code: 'ERR_OUT_OF_RANGE', message: /Listener: "maxMessageSize"/ });
    assert.throws(() => new Listener({ address: LOOPBACK, maxMessageSize: 2 ** 32 }), { code: 'ERR_OUT_OF_RANGE', message: /Listener: "maxMessageSize" must be bytes from 1 to 4294967295/ });
    await assert.rejects(Client({ address, handshakeTimeout: -1 }), { code: 'ERR_OUT_OF_RANGE', message: /Client: "handshakeTimeout"/ });
    await assert.rejects(Client({ address, maxMessageSize: null as never }), { code: 'ERR_INVALID_ARG_TYPE', message: /Client: "maxMessageSize"/ });
  });

  test('accept() yields connections in the order they pass the handshake, not the order they arrive', async () => {
    using listener = await tcpListener('secret');
    using silent = await RawPeer.connect(inetAddress(listener)); // arrives first, never answers
    await silent.nextFrame(); // its handshake is under way
    const accepted = listener.accept();
    using client = await Client({ address: listener.address, authkey: 'secret' });
    using server = await accepted;
    client.send('second to arrive, first to pass');
    assert.equal(await server.recv(), 'second to arrive, first to pass');
  });

  test('a silent peer is dropped after handshakeTimeout without accept() seeing it', async () => {
    const listener = new Listener({ address: LOOPBACK, authkey: 'secret', handshakeTimeout: 50 });
    using _ = listener;
    await listener.listening;
    const accepted = listener.accept();
    using silent = await RawPeer.connect(inetAddress(listener));
    await silent.closed;
    using client = await Client({ address: listener.address, authkey: 'secret' });
    using server = await accepted;
    client.send('the only one');
    assert.equal(await server.recv(), 'the only one');
  });

  test('Client rejects with TimeoutError when the listener does not finish the handshake within handshakeTimeout', async () => {
    using listener = await tcpListener(); // no authkey: it never sends a challenge
    await assert.rejects(Client({ address: listener.address, authkey: 'secret', handshakeTimeout: 50 }), {
      name: 'TimeoutError',
      code: 'ERR_MP_TIMEOUT',
      message: /Client: the listener at the socket to 127\.0\.0\.1:\d+ did not complete the authkey handshake within "handshakeTimeout" = 50 ms/,
    });
    const stray = await listener.accept(); // the client's socket arrived; it was closed
    await assert.rejects(stray.recv(), EOFError);
    stray.close();
  });

  test('accept() and Client() give Connections', async () => {
    using listener = await tcpListener();
    using pair = await connectedPair(listener);
    const { server, client } = pair;
    assert.ok(server instanceof Connection && client instanceof Connection);
    assert.deepEqual([server.readable, server.writable], [true, true]);
  });
});

forEachContext((context) => {
  test('a child connects with the authkey it inherited; wait() watches socket connections', async (t) => {
    using listener = new Listener({ address: { host: '127.0.0.1', port: 0 }, authkey: currentProcess().authkey });
    await listener.listening;
    const child = endAfter(t, new Process({ target: helloToListener, args: [listener.address], context }));
    child.start();
    const conn = await listener.accept();
    assert.deepEqual(await wait([conn]), [conn]);
    assert.match(String(await conn.recv()), /^hello from \d+$/);
    conn.close();
    await child.join();
    assert.equal(child.exitCode, 0);
  });
});
