// Python's socket.socketpair() with a child: two connected ends, each a multiproc Connection
// (send/recv of values, plain data only). The child (this file run again with "child") rebuilds
// its inherited end with connectionFromFd.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { connectionFromFd, socketPair } from 'multiproc/ipc';

if (process.argv[2] === 'child') {
  const conn = connectionFromFd<number | null>(3);
  for (let n = await conn.recv(); n !== null; n = await conn.recv()) conn.send(n * n);
  conn.close();
} else {
  const [parentEnd, childEnd] = socketPair<number | null>();
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'child'], { stdio: ['ignore', 'inherit', 'inherit', childEnd.fd] });
  const exited = once(child, 'exit'); // listened to from the start: it may come before the stream ends
  childEnd.close(); // the child holds that end now
  const squares: number[] = [];
  for (const n of [1, 2, 3, 4]) {
    parentEnd.send(n);
    squares.push((await parentEnd.recv()) as number);
  }
  parentEnd.send(null);
  console.log(squares); // [ 1, 4, 9, 16 ]
  parentEnd.close();
  const [code] = await exited;
  console.log(`child exited with code ${code}`);
}
