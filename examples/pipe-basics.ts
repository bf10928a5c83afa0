// Python's Pipe example: the child sends through its end; the parent receives, then sees EOF.
import { type Connection, EOFError, isMain, Pipe, Process, register } from 'multiproc';

export function greet(conn: Connection): void {
  conn.send([42, null, 'hello']);
  conn.sendBytes(Buffer.from('raw bytes'));
  conn.close();
}

register(import.meta.url, { greet });

if (isMain(import.meta.url)) {
  const [parentConn, childConn] = Pipe();
  const child = new Process({ target: greet, args: [childConn] });
  child.start();
  childConn.close(); // the child has its own copy
  console.log(await parentConn.recv()); // [ 42, null, 'hello' ]
  console.log(Buffer.from(await parentConn.recvBytes()).toString()); // raw bytes
  try {
    await parentConn.recv();
  } catch (error) {
    console.log(error instanceof EOFError ? 'EOF: the child closed its end' : error);
  }
  await child.join();
}
