// W12's child for the socket pair, a plain `node` process (not a multiproc Process: a socket
// Connection does not travel as a handle): it gets its end as descriptor 3 in its stdio, as
// socketPair()'s documentation says, and runs the same loop as the other modes' child.
//
//   node ipc-socket-child.js TEST WARM_UP COUNT SIZE
import type { IpcTest } from './ipc-modes.ts';
import { ipcPeer } from './ipc-tasks.ts';
import { loadIpc } from './library.ts';

const [test, warmUp, count, size] = process.argv.slice(2);
const { connectionFromFd } = await loadIpc();
await ipcPeer({ mode: 'socketpair', connection: connectionFromFd(3) }, test as IpcTest, Number(warmUp), Number(count), Number(size), null);
