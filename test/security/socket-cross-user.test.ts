// Another user account of this machine against a Listener (SPEC §14: everyone else gets nothing
// beyond the handshake, bounded in time and memory). The attacker is a self-contained script
// run as user nobody (test/helpers/foreign-user.ts): over TCP loopback it stays silent on
// three connections and half-sends on a fourth, fails the handshake with a wrong key, and sends
// forged frames (a Barrier handle record, garbage) without any key. Meanwhile a legitimate
// client keeps connecting and being served. Runs only when the suite runs as root.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client } from 'multiproc';
import { canRunAsNobody, runAsNobody } from '../helpers/foreign-user.ts';
import { startReceiver } from '../helpers/receiver.ts';

const AUTHKEY = 'only for this user';

/** The attacker: imports nothing but node: builtins (it cannot read this repository). */
const ATTACK = String.raw`
import { connect } from 'node:net';
import { createHmac } from 'node:crypto';
import { serialize } from 'node:v8';
import { once } from 'node:events';

const port = Number(process.argv[2]);
const report = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const frame = (kind, body) => {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(body.length, 0);
  header[4] = kind;
  return Buffer.concat([header, body]);
};
async function open() {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await once(socket, 'connect');
  const received = [];
  socket.on('data', (chunk) => received.push(chunk));
  // A reset counts as closed (once() would reject on the 'error' that comes with it).
  const closed = new Promise((resolve) => socket.on('close', resolve));
  return { socket, received, closed };
}

// Silent peers, and one that sends half a header.
const silent = await Promise.all([open(), open(), open(), open()]);
silent[3].socket.write(Buffer.from([0, 0, 0]));
report({ event: 'silent-open' });

// A wrong key.
const wrong = await open();
await new Promise((resolve) => wrong.socket.once('data', resolve));
const challenge = Buffer.concat(wrong.received).subarray(5 + '#CHALLENGE#'.length);
wrong.socket.write(frame(255, Buffer.concat([Buffer.from('{sha256}'), createHmac('sha256', 'a guess').update(challenge).digest()])));
await wrong.closed;
report({ event: 'wrong-key', answer: Buffer.concat(wrong.received).toString('latin1').slice(-'#FAILURE#'.length) });

// Forged frames without a key: a Barrier record with an action, then garbage.
const forged = await open();
const barrier = { '\u0000multiproc.handle': 'barrier', data: { block: {}, settings: { parties: 1, action: { kind: 'source', source: '() => process.exit(42)', name: 'a' } } } };
forged.socket.write(frame(1, serialize({ barrier })));
forged.socket.write(Buffer.alloc(64, 0xff));
await forged.closed;
report({ event: 'forged-closed' });

await Promise.all(silent.map((peer) => peer.closed));
report({ event: 'silent-dropped' });
`;

const skip = canRunAsNobody();

describe('another user account', () => {
  test('gets nothing beyond the handshake, and the legitimate client is served throughout', { skip: skip ?? false }, async (t) => {
    const receiver = await startReceiver({ authkey: AUTHKEY, handshakeTimeout: 2000 });
    t.after(() => receiver.stop());
    const abort = new AbortController();
    t.after(() => abort.abort());
    let attackDone = false;
    const attack = runAsNobody(ATTACK, [String(receiver.port)], abort.signal).finally(() => (attackDone = true));

    let served = 0;
    const address = { host: '127.0.0.1', port: receiver.port };
    while (!attackDone) {
      const client = await Client({ address, authkey: AUTHKEY });
      try {
        client.send({ echo: served });
        assert.deepEqual(await client.recv(), { echo: served });
        served++;
      } finally {
        client.close();
      }
    }
    const { code, stdout, stderr } = await attack;
    assert.equal(code, 0, `the attacking script failed:\n${stdout}\n${stderr}`);
    const events = stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string; answer?: string });
    assert.deepEqual(events.map((event) => event.event), ['silent-open', 'wrong-key', 'forged-closed', 'silent-dropped']);
    assert.equal(events[1]!.answer, '#FAILURE#');
    assert.ok(served >= 1);
    assert.equal(receiver.alive(), true);
    const stats = await receiver.stats();
    assert.equal(stats.accepted, served, receiver.output());
    assert.equal(stats.received, served);
    assert.deepEqual(stats.uncoded, []);
  });
});
