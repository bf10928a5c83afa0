// Hostile frames for fuzzing multiproc's socket protocol (a Listener, a manager): random bytes,
// frames of every kind with random and mutated bodies, forged handle records of every tag,
// handshake frames out of place, lying length headers. Reproducible: everything comes from a
// seeded PRNG, so a failure names its seed and can be replayed.
//
// A frame on the wire: [uint32 big-endian length][uint8 kind] then `length` bytes.

import { createHmac, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { serialize } from 'node:v8';

export const HEADER_BYTES = 5;
/** Record kinds of messages (src/connection/message.ts) and of the authkey handshake. */
export const Kind = { Value: 0, ValueWithHandles: 1, Bytes: 2, BinaryView: 3, Number: 4, String: 5, Constant: 6, Json: 7, Handshake: 255 } as const;
/** The key under which the codec tags a handle record. */
export const HANDLE_KEY = '\u0000multiproc.handle';
/** Every handle tag multiproc registers (registerHandleType / registerSharedType). */
export const HANDLE_TAGS = [
  'barrier',
  'condition',
  'connection',
  'event',
  'pipe-end',
  'lock',
  'manager-proxy',
  'queue',
  'rlock',
  'semaphore',
  'shareable-list',
  'shared-array',
  'shared-memory',
  'value',
] as const;

export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  bytes(n: number): Uint8Array;
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    bytes: (n) => Uint8Array.from({ length: n }, () => int(256)),
    pick: (items) => items[int(items.length)]!,
  };
}

/** A frame; `claimedLength` (default: the body's) is what the header says, true or not. */
export function frameOf(kind: number, body: Uint8Array, claimedLength = body.byteLength): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(claimedLength >>> 0, 0);
  header[4] = kind;
  return Buffer.concat([header, body]);
}

/** A value holding a codec handle record, as a sender's codec would write it. */
export function handleRecord(tag: string, data: unknown): Record<string, unknown> {
  return { [HANDLE_KEY]: tag, data };
}

/** The JSON text of a random value (bigints as strings: JSON has none). */
export function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? String(item) : item)) ?? 'null');
}

/** The frame a multiproc sender would write for `value` holding handle records. */
export function handleFrame(tag: string, data: unknown, path: (record: unknown) => unknown = (record) => record): Buffer {
  return frameOf(Kind.ValueWithHandles, serialize(path(handleRecord(tag, data))));
}

/** Plausible data for a tag's record: a block, settings, names (wrong on purpose, sometimes). */
export function forgedRecordData(tag: string, random: Random): unknown {
  const block = { name: random.pick(['/mp-forged', '/etc/passwd', '../../x', '', 'x'.repeat(300)]), size: random.pick([8, 64, 2 ** 40, -1]), offset: random.int(64), pid: random.pick([1, process.pid, 2 ** 31]) };
  switch (tag) {
    case 'barrier':
      return { block, settings: { parties: 1, timeoutMs: null, action: { kind: 'source', source: 'process.exit(99)' } } };
    case 'error':
      return deepError(random.pick([1, 8, 9, 200, 1000]));
    default:
      return random.pick([{ block, settings: {} }, block, null, randomValue(random, 3), { name: block.name, size: block.size }]);
  }
}

/** An error record whose `cause` chain is `depth` long. */
export function deepError(depth: number): unknown {
  let record: unknown = { name: 'Error', message: 'the bottom' };
  for (let level = 0; level < depth; level++) record = { name: 'TypeError', message: `level ${level}`, cause: record };
  return record;
}

/** A random structured-clonable value, `depth` levels at most. */
export function randomValue(random: Random, depth: number): unknown {
  const leaves = [
    () => random.int(2 ** 31) - 2 ** 30,
    () => random.next(),
    () => String.fromCharCode(...random.bytes(random.int(40))),
    () => null,
    () => undefined,
    () => random.next() < 0.5,
    () => BigInt(random.int(2 ** 31)) ** 3n,
    () => Buffer.from(random.bytes(random.int(64))),
    () => new Date(random.int(2 ** 40)),
    () => new Float64Array(random.int(8)),
  ];
  if (depth <= 0 || random.next() < 0.4) return random.pick(leaves)();
  const size = random.int(6);
  switch (random.int(4)) {
    case 0:
      return Array.from({ length: size }, () => randomValue(random, depth - 1));
    case 1:
      return new Map(Array.from({ length: size }, () => [randomValue(random, 0), randomValue(random, depth - 1)]));
    case 2:
      return new Set(Array.from({ length: size }, () => randomValue(random, depth - 1)));
    default:
      return Object.fromEntries(Array.from({ length: size }, (_, index) => [`k${index}`, randomValue(random, depth - 1)]));
  }
}

function mutate(random: Random, bytes: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(bytes);
  const flips = 1 + random.int(4);
  for (let flip = 0; flip < flips && copy.length > 0; flip++) copy[random.int(copy.length)] = random.int(256);
  switch (random.int(4)) {
    case 0:
      return copy.subarray(0, random.int(copy.length + 1)); // truncated
    case 1:
      return Buffer.concat([copy, random.bytes(random.int(16))]); // trailing junk
    default:
      return copy;
  }
}

/** The frame strategies; each returns bytes to write as they are (maybe not a whole frame). */
const strategies: readonly ((random: Random) => Uint8Array)[] = [
  // Bytes that are no frame at all.
  (random) => random.bytes(random.int(64)),
  // A header with any kind and any claimed length, and a short random body.
  (random) => frameOf(random.int(256), random.bytes(random.int(32)), random.pick([random.int(64), random.int(2 ** 32), 2 ** 32 - 1, 2 ** 28 + 1])),
  // A well-formed message, mutated.
  (random) => frameOf(random.pick([Kind.Value, Kind.ValueWithHandles]), mutate(random, serialize(randomValue(random, 3)))),
  // A well-formed message of a primitive kind, mutated.
  (random) => frameOf(random.pick([Kind.Bytes, Kind.BinaryView, Kind.Number, Kind.String, Kind.Constant]), mutate(random, random.bytes(random.int(24)))),
  // A forged handle record of any tag, whole or mutated, maybe inside other data.
  (random) => {
    const tag = random.pick([...HANDLE_TAGS, 'error', 'no-such-tag']);
    const body = serialize(random.pick([(r: unknown) => r, (r: unknown) => [1, { nested: r }], (r: unknown) => new Map([['k', r]])])(handleRecord(tag, forgedRecordData(tag, random))));
    return frameOf(random.pick([Kind.Value, Kind.ValueWithHandles]), random.next() < 0.3 ? mutate(random, body) : body);
  },
  // A handshake frame out of place (a challenge, a verdict, junk).
  (random) => frameOf(Kind.Handshake, random.pick([Buffer.from('#CHALLENGE#{sha256}'), Buffer.from('#WELCOME#'), Buffer.from('#FAILURE#'), random.bytes(random.int(300))])),
  // A JSON message, maybe a forged handle record, whole or mutated.
  (random) => {
    const tag = random.pick([...HANDLE_TAGS, 'error']);
    const body = jsonBytes(random.next() < 0.5 ? randomValue(random, 3) : [1, { nested: handleRecord(tag, forgedRecordData(tag, random)) }]);
    return frameOf(Kind.Json, random.next() < 0.5 ? mutate(random, body) : body);
  },
];

/** `count` hostile frames, the same ones for the same seed. */
export function* fuzzFrames(seed: number, count: number): Generator<Uint8Array> {
  const random = createRandom(seed);
  for (let index = 0; index < count; index++) yield random.pick(strategies)(random);
}

/**
 * Runs the client side of the authkey handshake by hand over a raw socket (so that a test can
 * write arbitrary frames once authenticated). Resolves when the listener said welcome; rejects
 * when it did not.
 */
export async function rawClientHandshake(socket: Socket, authkey: string | Uint8Array): Promise<void> {
  const reader = frameReader(socket);
  try {
    const challenge = await reader.next();
    const message = challenge.subarray('#CHALLENGE#'.length);
    socket.write(frameOf(Kind.Handshake, answer(authkey, message)));
    const verdict = (await reader.next()).toString();
    if (verdict !== '#WELCOME#') throw new Error(`rawClientHandshake: the listener answered ${JSON.stringify(verdict)}`);
    const ownMessage = Buffer.concat([Buffer.from('{sha256}'), randomBytes(40)]);
    socket.write(frameOf(Kind.Handshake, Buffer.concat([Buffer.from('#CHALLENGE#'), ownMessage])));
    await reader.next(); // its answer: not checked, this end only wants in
    socket.write(frameOf(Kind.Handshake, Buffer.from('#WELCOME#')));
  } finally {
    reader.stop();
  }
}

function answer(authkey: string | Uint8Array, message: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from('{sha256}'), createHmac('sha256', authkey).update(message).digest()]);
}

/** Handshake frames read off a raw socket, one at a time. */
function frameReader(socket: Socket): { next(): Promise<Buffer>; stop(): void } {
  let received = Buffer.alloc(0);
  let wake: (() => void) | null = null;
  let ended = false;
  const onData = (chunk: Buffer): void => {
    received = Buffer.concat([received, chunk]);
    wake?.();
  };
  const onEnd = (): void => {
    ended = true;
    wake?.();
  };
  socket.on('data', onData).on('end', onEnd).on('close', onEnd);
  return {
    async next(): Promise<Buffer> {
      for (;;) {
        if (received.length >= HEADER_BYTES) {
          const length = received.readUInt32BE(0);
          if (received.length >= HEADER_BYTES + length) {
            const body = received.subarray(HEADER_BYTES, HEADER_BYTES + length);
            received = received.subarray(HEADER_BYTES + length);
            return body;
          }
        }
        if (ended) throw new Error('rawClientHandshake: the listener closed the socket during the handshake');
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    },
    stop(): void {
      socket.off('data', onData).off('end', onEnd).off('close', onEnd);
      if (received.length > 0) socket.unshift(received);
    },
  };
}
