// Another user of the machine gets nothing from a manager beyond the handshake (SPEC §14): run
// as user nobody, an attacker that answers the challenge with a wrong key is refused, and its
// silent connections keep no one out; the owner's calls go on. Needs root (to become nobody).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Client, Manager } from 'multiproc';
import { eventually } from '../helpers/contexts.ts';
import { canRunAsNobody, runAsNobody } from '../helpers/foreign-user.ts';

const skip = canRunAsNobody() ?? false;

// Self-contained: node: builtins only. Three silent connections, one wrong-key handshake; it
// ends once the manager dropped them all, printing what happened to each.
const attacker = `
import { connect } from 'node:net';
import { createHmac } from 'node:crypto';
const [host, port] = [process.argv[2], Number(process.argv[3])];
const closed = (socket) => new Promise((resolve) => socket.on('close', resolve).on('error', () => {}));
const silent = [1, 2, 3].map(() => connect(port, host).resume()); // reads the challenge, answers nothing
const wrong = connect(port, host);
let received = Buffer.alloc(0);
let verdict = 'none';
wrong.on('data', (chunk) => {
  received = Buffer.concat([received, chunk]);
  if (received.length < 5 || received.length < 5 + received.readUInt32BE(0)) return;
  const body = received.subarray(5, 5 + received.readUInt32BE(0));
  received = received.subarray(5 + body.length);
  if (body.toString().startsWith('#CHALLENGE#')) {
    const digest = Buffer.concat([Buffer.from('{sha256}'), createHmac('sha256', 'not the key').update(body.subarray(11)).digest()]);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(digest.length);
    header[4] = 255;
    wrong.write(Buffer.concat([header, digest]));
  } else verdict = body.toString();
});
await Promise.all([...silent, wrong].map(closed));
console.log(JSON.stringify({ verdict, silentDropped: silent.length }));
`;

/** Connections to `port` owned by `uid`, from /proc/net/tcp (the kernel's own table). */
function connectionsFrom(uid: number, port: number): number {
  const rows = readFileSync('/proc/net/tcp', 'utf8').trim().split('\n').slice(1);
  return rows.filter((row) => {
    const fields = row.trim().split(/\s+/);
    return Number.parseInt(fields[2]!.split(':')[1]!, 16) === port && Number(fields[7]) === uid;
  }).length;
}

test('an attacker running as another user, with a wrong key and silent connections, is refused and keeps no one out', { skip }, async (t) => {
  const authkey = 'owner-only';
  await using manager = await Manager({ address: { host: '127.0.0.1', port: 0 }, authkey, handshakeTimeout: 5_000 });
  const { host, port } = manager.address as { host: string; port: number };
  const controller = new AbortController();
  t.after(() => controller.abort());
  const attack = runAsNobody(attacker, [host, String(port)], controller.signal);
  const nobody = 65534;
  assert.ok(await eventually(() => connectionsFrom(nobody, port) >= 3), 'the attacker never connected');

  const dict = await manager.dict();
  await dict.set('owner', 'served');
  assert.equal(await dict.get('owner'), 'served');
  const client = await Client({ address: { host, port }, authkey });
  t.after(() => client.close());
  client.send({ id: 1, target: 0, method: 'ping', args: [] });
  assert.deepEqual(await client.recv(), { id: 1, value: 'pong' });

  const run = await attack;
  assert.equal(run.code, 0, run.stderr);
  const outcome = JSON.parse(run.stdout) as { verdict: string };
  assert.equal(outcome.verdict, '#FAILURE#');
});
