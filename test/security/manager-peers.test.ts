// Peers a manager must outlast (SPEC §14): silent and half-sent connections never keep a
// legitimate client out, and an authenticated client sending 10,000 random and mutated
// requests (seeded, reproducible) neither stops the manager nor makes its memory grow without
// bound, while the owner and another client keep being served.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import { Client, type Connection, Manager } from 'multiproc';
import { createRandom, frameOf, fuzzFrames, HEADER_BYTES, Kind, type Random, randomValue, rawClientHandshake } from '../helpers/fuzz-frames.ts';

const authkey = 'peers-secret';

function residentBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) * 1024;
}

function openSocket(address: { host: string; port: number }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(address.port, address.host, () => resolve(socket));
    socket.setNoDelay(true); // a small frame then a ping: no waiting on Nagle's algorithm
    socket.once('error', reject);
  });
}

async function ping(connection: Connection, id: number): Promise<unknown> {
  connection.send({ id, target: 0, method: 'ping', args: [] });
  return ((await connection.recv()) as { value: unknown }).value;
}

test('three silent peers and a half-sent one never keep a legitimate client of a manager out', async (t) => {
  await using manager = await Manager({ address: { host: '127.0.0.1', port: 0 }, authkey, handshakeTimeout: 60_000 });
  const address = manager.address as { host: string; port: number };
  const peers = await Promise.all([1, 2, 3, 4].map(() => openSocket(address)));
  t.after(() => {
    for (const peer of peers) peer.destroy();
  });
  peers[3]!.write(Buffer.from([0, 0, 0, 40, 255, 1, 2])); // a frame header, then nothing more
  const client = await Client({ address, authkey });
  t.after(() => client.close());
  assert.equal(await ping(client, 1), 'pong');
  const dict = await manager.dict();
  await dict.set('served', true);
  assert.equal(await dict.get('served'), true);
  assert.ok(peers.every((peer) => !peer.destroyed), 'the silent peers are still connected');
});

const METHODS = ['get', 'set', 'append', 'pop', 'put', 'getNowait', 'acquire', 'release', 'wait', 'create', 'ping', 'keys', 'update', 'extend', 'insert', '__proto__', 'constructor', 'then', 'toString', 'sharedBlock', 'toRecord', ''];
const TYPEIDS = ['dict', 'list', 'Namespace', 'Value', 'Array', 'Queue', 'Lock', 'RLock', 'Semaphore', 'Event', 'Barrier', 'Condition', 'nope', '__proto__'];

/** A request of the right shape or nearly, with random fields; never a shutdown (an authenticated client may legitimately ask for one). */
function randomRequest(random: Random): unknown {
  const target = random.pick([0, 0, 1, 2, 3, 4, 5, random.int(100), -1, 2 ** 53, 'x', null]);
  const method = target === 0 ? random.pick(['create', 'create', 'ping', 'nope']) : random.pick(METHODS);
  const args =
    method === 'create'
      ? [random.pick(TYPEIDS), random.pick([[], [randomValue(random, 2)], [random.pick(['d', 'i', 'z']), random.pick([3, 1e12, -1, 2 ** 31])], randomValue(random, 1)])]
      : random.pick([[], [randomValue(random, 3)], [randomValue(random, 1), randomValue(random, 2)], randomValue(random, 2), [{ __multiprocProxy: { id: random.int(50), typeid: 'list' } }], [{ __multiprocTask: { kind: 'source', source: 'process.exit(7)', name: 'x' } }]]);
  const request: Record<string, unknown> = { id: random.pick([random.int(1000), -1, 'id', 1.5]), target, method, args };
  if (random.next() < 0.1) delete request[random.pick(['id', 'target', 'method', 'args'])];
  return request;
}

/** 10,000 frames: half from the shared hostile generator, half requests, some mutated. */
function* hostileRequests(seed: number, count: number): Generator<Uint8Array> {
  const random = createRandom(seed);
  const frames = fuzzFrames(seed + 1, count);
  for (let index = 0; index < count; index++) {
    if (random.next() < 0.5) yield frames.next().value as Uint8Array;
    else yield frameOf(Kind.Value, serialize(randomRequest(random)));
  }
}

/** Whether `bytes` is a whole number of frames (else the manager waits for the rest of one). */
function endsOnFrameBoundary(bytes: Uint8Array): boolean {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at < buffer.length) {
    if (buffer.length - at < HEADER_BYTES) return false;
    at += HEADER_BYTES + buffer.readUInt32BE(at);
  }
  return at === buffer.length;
}

/**
 * An authenticated raw socket. After each hostile frame it sends a ping and waits for its answer
 * or for the manager to close the socket, so every frame is read before the next one goes; a
 * frame cut short is sent last, then the socket ends (the manager must drop it).
 */
class HostileSession {
  readonly #socket: Socket;
  #received = Buffer.alloc(0);
  #waiting: { id: number; done: () => void } | null = null;
  #isClosed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('close', () => {
      this.#isClosed = true;
      this.#waiting?.done();
    });
  }

  static async open(address: { host: string; port: number }): Promise<HostileSession> {
    const socket = await openSocket(address);
    socket.on('error', () => {});
    await rawClientHandshake(socket, authkey);
    return new HostileSession(socket);
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Sends a frame; resolves once the manager has dealt with it (answered the ping behind it, or closed). */
  send(frame: Uint8Array, pingId: number): Promise<void> {
    if (!endsOnFrameBoundary(frame)) {
      this.#socket.end(frame);
      this.#isClosed = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#waiting = { id: pingId, done: resolve };
      this.#socket.write(Buffer.concat([frame, frameOf(Kind.Value, serialize({ id: pingId, target: 0, method: 'ping', args: [] }))]));
      if (this.#isClosed) resolve();
    });
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#received = Buffer.concat([this.#received, chunk]);
    while (this.#received.length >= HEADER_BYTES) {
      const length = this.#received.readUInt32BE(0);
      if (this.#received.length < HEADER_BYTES + length) return;
      const body = this.#received.subarray(HEADER_BYTES, HEADER_BYTES + length);
      this.#received = this.#received.subarray(HEADER_BYTES + length);
      let reply: { id?: unknown } | null = null;
      try {
        reply = deserialize(body) as { id?: unknown };
      } catch {} // an error reply's record: not the ping's
      if (this.#waiting && reply?.id === this.#waiting.id) this.#waiting.done();
    }
  }
}

test('an authenticated client sending 10,000 random and mutated requests neither stops the manager nor grows its memory without bound; others are served throughout', async (t) => {
  const seed = Number(process.env.MULTIPROC_FUZZ_SEED ?? 0x5eed);
  await using manager = await Manager({ address: { host: '127.0.0.1', port: 0 }, authkey, maxMessageSize: 16 * 1024 * 1024 });
  const address = manager.address as { host: string; port: number };
  const pid = manager.pid!;
  const dict = await manager.dict();
  const client = await Client({ address, authkey });
  t.after(() => client.close());
  const before = residentBytes(pid);

  let isFuzzing = true;
  const legitimate = (async () => {
    let calls = 0;
    while (isFuzzing) {
      await dict.set('n', calls);
      assert.equal(await dict.get('n'), calls);
      assert.equal(await ping(client, calls + 1), 'pong');
      calls++;
    }
    return calls;
  })();

  const sessions = new Set<HostileSession>();
  t.after(() => {
    for (const session of sessions) session.destroy();
  });
  let session: HostileSession | null = null;
  let pingId = 1_000_000;
  for (const frame of hostileRequests(seed, 10_000)) {
    if (session === null || session.isClosed) {
      session = await HostileSession.open(address);
      sessions.add(session);
    }
    await session.send(frame, pingId++);
  }
  session?.destroy();
  isFuzzing = false;
  const calls = await legitimate;
  assert.ok(calls > 0, 'the legitimate clients were served during the fuzzing');
  assert.equal(await ping(client, 1e6), 'pong', `seed ${seed}: the manager stopped serving after ${sessions.size} sessions`);
  const after = residentBytes(pid);
  assert.ok(after - before < 256 * 1024 * 1024, `seed ${seed}: the manager's resident memory grew from ${before} to ${after} bytes`);
});
