// Peers a manager must outlast (SPEC §14): silent and half-sent connections never keep a
// legitimate client out, and an authenticated client sending 10,000 random and mutated
// requests (seeded, reproducible) neither stops the manager nor makes its memory grow without
// bound, while the owner and another client keep being served.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { serialize } from 'node:v8';
import { Client, type Connection, Manager } from 'multiproc';
import { createRandom, frameOf, fuzzFrames, Kind, type Random, randomValue, rawClientHandshake } from '../helpers/fuzz-frames.ts';

const authkey = 'peers-secret';

function residentBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) * 1024;
}

function openSocket(address: { host: string; port: number }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(address.port, address.host, () => resolve(socket));
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

/** Frames one authenticated session writes before the next session takes over. */
const FRAMES_PER_SESSION = 25;

/** An authenticated raw socket that drops whatever the manager answers. */
async function hostileSession(address: { host: string; port: number }): Promise<Socket> {
  const socket = await openSocket(address);
  socket.on('error', () => {});
  await rawClientHandshake(socket, authkey);
  socket.resume();
  return socket;
}

function write(socket: Socket, frame: Uint8Array): Promise<void> {
  return new Promise((resolve) => socket.write(frame, () => resolve()));
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

  const sessions = new Set<Socket>();
  t.after(() => {
    for (const session of sessions) session.destroy();
  });
  let session: Socket | null = null;
  let written = 0;
  for (const frame of hostileRequests(seed, 10_000)) {
    if (session === null || session.destroyed || written === FRAMES_PER_SESSION) {
      session?.destroy();
      session = await hostileSession(address);
      sessions.add(session);
      written = 0;
    }
    await write(session, frame);
    written++;
  }
  session?.destroy();
  isFuzzing = false;
  const calls = await legitimate;
  assert.ok(calls > 0, 'the legitimate clients were served during the fuzzing');
  assert.equal(await ping(client, 1e6), 'pong', `seed ${seed}: the manager stopped serving after ${sessions.size} sessions`);
  const after = residentBytes(pid);
  assert.ok(after - before < 256 * 1024 * 1024, `seed ${seed}: the manager's resident memory grew from ${before} to ${after} bytes`);
});
