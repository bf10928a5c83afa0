// A fuzzer against a Listener outside the tree (plain child_process.spawn), with an authkey
// and without: 10,000 random and mutated frames each (test/helpers/fuzz-frames.ts), over
// hundreds of connections, some authenticated first, while a legitimate client keeps sending
// and getting answers. The receiver must not crash, must answer the client throughout, must
// give every error a code, and its resident memory must stay bounded. Reproducible: the seed
// is printed with every failure; MULTIPROC_FUZZ_SEED=<n> replays one.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { Client } from 'multiproc';
import { createRandom, fuzzFrames, rawClientHandshake } from '../helpers/fuzz-frames.ts';
import { startReceiver } from '../helpers/receiver.ts';

const FRAMES = 10_000;
const FRAMES_PER_CONNECTION = 5;
const PARALLEL_CONNECTIONS = 16;
const AUTHKEY = 'fuzz secret';
const MEMORY_BOUND_BYTES = 200 * 2 ** 20;
const SEED = Number(process.env.MULTIPROC_FUZZ_SEED ?? 20261203);

/** Connects, maybe authenticates, writes the frames, ends, and waits for the receiver to close. */
async function fuzzConnection(port: number, frames: Uint8Array[], authkey: string | undefined): Promise<void> {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  try {
    await once(socket, 'connect');
    if (authkey !== undefined) await rawClientHandshake(socket, authkey);
    socket.resume();
    const closed = once(socket, 'close');
    for (const frame of frames) socket.write(frame);
    socket.end();
    await closed;
  } catch {
    // the receiver refused the handshake or reset the socket: that is its right
  } finally {
    socket.destroy();
  }
}

for (const authkey of [undefined, AUTHKEY]) {
  describe(`fuzzing a Listener ${authkey ? 'with' : 'without'} an authkey`, () => {
    test(`${FRAMES} hostile frames neither crash it nor keep a legitimate client from being served, and its memory stays bounded`, async (t) => {
      const seed = authkey ? SEED + 1 : SEED;
      const why = (detail: string): string => `${detail} (seed ${seed}: rerun with MULTIPROC_FUZZ_SEED=${SEED})`;
      const receiver = await startReceiver({ quiet: true, handshakeTimeout: 2000, ...(authkey && { authkey }) });
      t.after(() => receiver.stop());
      const address = { host: '127.0.0.1', port: receiver.port };
      const client = await Client({ address, authkey });
      t.after(() => client.close());
      const startBytes = receiver.residentBytes();
      let peakBytes = startBytes;

      const random = createRandom(seed);
      const all = [...fuzzFrames(seed, FRAMES)];
      const batches: Uint8Array[][] = [];
      for (let at = 0; at < all.length; at += FRAMES_PER_CONNECTION) batches.push(all.slice(at, at + FRAMES_PER_CONNECTION));
      let round = 0;
      for (let at = 0; at < batches.length; at += PARALLEL_CONNECTIONS) {
        const group = batches.slice(at, at + PARALLEL_CONNECTIONS);
        await Promise.all(group.map((frames) => fuzzConnection(receiver.port, frames, authkey && random.next() < 0.5 ? authkey : undefined)));
        client.send({ echo: round });
        assert.deepEqual(await client.recv(), { echo: round }, why(`the legitimate client got a wrong answer after ${at + group.length} fuzz connections`));
        round++;
        peakBytes = Math.max(peakBytes, receiver.residentBytes());
        assert.ok(peakBytes - startBytes < MEMORY_BOUND_BYTES, why(`the receiver grew by ${(peakBytes - startBytes) / 2 ** 20} MiB`));
      }
      assert.equal(receiver.alive(), true, why(`the receiver died:\n${receiver.output()}`));
      const stats = await receiver.stats();
      assert.deepEqual(stats.uncoded, [], why('errors without a code surfaced'));
      t.diagnostic(`seed ${seed}: ${JSON.stringify(stats)}; resident memory grew by at most ${((peakBytes - startBytes) / 2 ** 20).toFixed(1)} MiB`);
    });
  });
}
