// A manager reports its start over the tree's own transport (its Process control channel), not
// over a socket another user could reach first (SPEC §14): while Manager() starts, the owner
// listens on no socket at all, and the manager process listens on its own address only.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { test } from 'node:test';
import { Manager } from 'multiproc';

/** Inodes of the sockets process `pid` holds open. */
function socketInodes(pid: number | 'self'): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {} // closed meanwhile
  }
  return inodes;
}

/** Inodes of listening sockets, from the kernel's tables (TCP state 0A; a Unix socket with __SO_ACCEPTCON). */
function listeningInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const row of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const fields = row.trim().split(/\s+/);
      if (fields[3] === '0A') inodes.add(fields[9]!);
    }
  }
  for (const row of readFileSync('/proc/net/unix', 'utf8').trim().split('\n').slice(1)) {
    const fields = row.trim().split(/\s+/);
    if ((Number.parseInt(fields[3]!, 16) & 0x10000) !== 0) inodes.add(fields[6]!);
  }
  return inodes;
}

function listeningSocketsOf(pid: number | 'self'): number {
  const listening = listeningInodes();
  return [...socketInodes(pid)].filter((inode) => listening.has(inode)).length;
}

test('while a manager starts, its owner listens on no socket; the manager listens on its own address only', async () => {
  assert.equal(listeningSocketsOf('self'), 0);
  let isStarting = true;
  let ownerListened = 0;
  const watching = (async () => {
    while (isStarting) {
      ownerListened = Math.max(ownerListened, listeningSocketsOf('self'));
      await new Promise(setImmediate);
    }
  })();
  const starting = Manager({ address: { host: '127.0.0.1', port: 0 } });
  let manager: Awaited<typeof starting> | undefined;
  try {
    manager = await starting;
  } finally {
    isStarting = false;
    await watching;
  }
  await using _ = manager;
  assert.equal(ownerListened, 0, 'the owner listened on a socket while the manager started');
  assert.equal(listeningSocketsOf(manager.pid!), 1);
  const dict = await manager.dict();
  await dict.set('started', true);
  assert.equal(await dict.get('started'), true);
});
