// Python: multiprocessing.connection's Listener and Client, with an authkey. The server and the
// client are two processes that did not start each other: here the client is a child for brevity.
import { type Address, Client, isMain, Listener, Process, register } from 'multiproc';

export async function client(address: Address): Promise<void> {
  const conn = await Client({ address, authkey: 'secret password' });
  conn.send({ question: 'sum', numbers: [1, 2, 3] });
  console.log('client got', await conn.recv());
  conn.close();
}

register(import.meta.url, { client });

if (isMain(import.meta.url)) {
  const listener = new Listener({ address: { host: 'localhost', port: 0 }, authkey: 'secret password' });
  await listener.listening; // needed only without the native addon: with it, the address is final at once
  const child = new Process({ target: client, args: [listener.address] });
  child.start();

  const conn = await listener.accept();
  const { numbers } = (await conn.recv()) as { numbers: number[] };
  conn.send(numbers.reduce((sum, n) => sum + n, 0));
  await child.join();
  const from = listener.lastAcceptedFrom; // { host, port } for TCP, a path for a Unix socket
  console.log('accepted from', typeof from === 'object' ? from?.host : from);
  conn.close();
  listener.close();
}
