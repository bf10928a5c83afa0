// A Listener is bound when its constructor returns, as Python's is: its address (port 0's
// chosen port included) is final at once, and an address that cannot be bound throws there.
// Without the native addon, the address is final after `await listener.listening`.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { Client, type InetAddress, Listener } from 'multiproc';
import { eventually } from '../helpers/contexts.ts';

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The sockets this process holds open, by descriptor. */
function openSockets(): Set<string> {
  const sockets = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) sockets.add(fd);
    } catch {
      // closed while listed (readdir's own descriptor)
    }
  }
  return sockets;
}

/** A message from a Client reaches the listener: the address is a real one. */
async function roundTrip(listener: Listener, address: InetAddress): Promise<void> {
  const [server, client] = await Promise.all([listener.accept(), Client({ address })]);
  try {
    client.send({ hello: address.host });
    assert.deepEqual(await server.recv(), { hello: address.host });
  } finally {
    server.close();
    client.close();
  }
}

describe('a TCP Listener is bound when its constructor returns', () => {
  test("'localhost' with port 0 has its IPv4 address and a real port at once, and a Client reaches it", async (t) => {
    const listener = new Listener({ address: { host: 'localhost', port: 0 } });
    t.after(() => listener.close());
    const address = listener.address as InetAddress;
    assert.equal(address.host, '127.0.0.1');
    assert.ok(Number.isInteger(address.port) && address.port > 0, `a port, received ${address.port}`);
    await roundTrip(listener, address);
    assert.deepEqual(listener.address, address);
  });

  test("'127.0.0.1' and '0.0.0.0' with port 0 are bound at once", async (t) => {
    for (const host of ['127.0.0.1', '0.0.0.0']) {
      const listener = new Listener({ address: { host, port: 0 } });
      t.after(() => listener.close());
      const { port } = listener.address as InetAddress;
      assert.deepEqual(listener.address, { host, port });
      await roundTrip(listener, { host: '127.0.0.1', port });
    }
  });

  test("an IPv6 address ('::1') binds IPv6", async (t) => {
    let listener: Listener;
    try {
      listener = new Listener({ address: { host: '::1', port: 0 } });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (!['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'ENOTFOUND'].includes(code)) throw error;
      t.skip(`IPv6 loopback is not available on this machine (${code})`);
      return;
    }
    t.after(() => listener.close());
    const address = listener.address as InetAddress;
    assert.equal(address.host, '::1');
    assert.ok(address.port > 0);
    await roundTrip(listener, address);
  });

  test('a port in use makes the constructor throw EADDRINUSE naming the address, and leaves no descriptor open', (t) => {
    const taken = new Listener({ address: { host: '127.0.0.1', port: 0 } });
    t.after(() => taken.close());
    const { port } = taken.address as InetAddress;
    const before = openSockets();
    assert.throws(() => new Listener({ address: { host: '127.0.0.1', port } }), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'EADDRINUSE');
      assert.match(error.message, new RegExp(`^Listener: cannot listen on the socket to 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
      return true;
    });
    assert.deepEqual(openSockets(), before);
  });

  test('a host that does not resolve makes the constructor throw, naming the host', () => {
    // .invalid never resolves (RFC 2606); without a resolver the lookup fails another way.
    assert.throws(() => new Listener({ address: { host: 'no-such-host.invalid', port: 0 } }), (error: NodeJS.ErrnoException) => {
      assert.match(String(error.code), /^(ENOTFOUND|EAI_AGAIN|EAI_FAIL)$/);
      assert.match(error.message, /^Listener: cannot listen on the socket to no-such-host\.invalid:0: getaddrinfo\(no-such-host\.invalid\)/);
      return true;
    });
  });

  test('close() closes the bound descriptor', async (t) => {
    const before = openSockets();
    const listener = new Listener({ address: { host: 'localhost', port: 0 } });
    t.after(() => listener.close());
    const opened = [...openSockets()].filter((fd) => !before.has(fd));
    assert.ok(opened.length >= 1, 'the listener holds a socket');
    listener.close();
    const isClosed = await eventually(() => {
      const now = openSockets();
      return opened.every((fd) => !now.has(fd));
    });
    assert.ok(isClosed, `descriptors ${opened.join(', ')} still open after close()`);
  });

  test('`listening` settles for a listener closed at once', async () => {
    const listener = new Listener({ address: { host: '127.0.0.1', port: 0 } });
    listener.close();
    await listener.listening;
  });
});

/** Runs a program in a child process with the addon turned off; its stdout lines. */
async function runWithoutAddon(program: string): Promise<string[]> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', program], {
    cwd: packageRoot,
    env: { ...process.env, MULTIPROC_NO_NATIVE: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  assert.equal(code, 0, `the program failed (${signal ?? code}): ${output}`);
  return output.trim().split('\n');
}

describe('without the native addon', () => {
  test('a TCP address is final after `await listener.listening`, and a Client reaches it', async () => {
    const lines = await runWithoutAddon(`
      import { Client, Listener } from 'multiproc';
      const listener = new Listener({ address: { host: 'localhost', port: 0 } });
      await listener.listening;
      const [server, client] = await Promise.all([listener.accept(), Client({ address: listener.address })]);
      client.send('across');
      console.log(JSON.stringify({ address: listener.address, received: await server.recv() }));
      server.close();
      client.close();
      listener.close();`);
    const { address, received } = JSON.parse(lines.at(-1) ?? '') as { address: InetAddress; received: string };
    assert.match(address.host, /^(127\.0\.0\.1|::1)$/);
    assert.ok(address.port > 0);
    assert.equal(received, 'across');
  });
});
