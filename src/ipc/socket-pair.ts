// socketPair(): Python's socket.socketpair() as two multiproc Connections. Each end is a socket
// Connection like those of Listener/Client (socket-transport.ts: the same frames, the same
// maxMessageSize checks, plain data only, no handshake: the two ends are made together).
// connectionFromFd() makes the same Connection of a descriptor a child inherited.

import { fstatSync } from 'node:fs';
import { Socket } from 'node:net';
import { checkInteger, checkOptionsObject, invalidValue, outOfRange } from '../base/validate.js';
import { Connection } from '../connection/connection.js';
import { DEFAULT_MAX_MESSAGE_BYTES, MAX_FRAME_BYTES, socketTransport } from '../connection/socket-transport.js';
import { requireNative } from '../native/loader.js';

export interface SocketPairOptions {
  /** The longest message, in bytes, sent or received on an end (checked at the frame header). @default 2**28 (256 MiB) */
  maxMessageSize?: number;
}

/** An end of a socket pair: a Connection, and its descriptor, to give a plain child in its `stdio`. */
export type SocketPairEnd<T = unknown> = Connection<T> & {
  /** The socket's descriptor, for a child's `stdio` (-1 once closed here). */
  readonly fd: number;
};

function maxMessageBytesOf(where: string, options: SocketPairOptions | undefined): number {
  checkOptionsObject(`${where}: options`, options);
  const value = options?.maxMessageSize;
  if (value === undefined) return DEFAULT_MAX_MESSAGE_BYTES;
  const bytes = checkInteger(`${where}: "maxMessageSize"`, value, 1);
  if (bytes > MAX_FRAME_BYTES) throw outOfRange(`${where}: "maxMessageSize"`, `bytes from 1 to ${MAX_FRAME_BYTES} (2**32 - 1, the most a frame header can say)`, value);
  return bytes;
}

function endOf<T>(fd: number, name: string, maxMessageBytes: number): SocketPairEnd<T> {
  const socket = new Socket({ fd, readable: true, writable: true });
  // Closing an end closes this descriptor once what was written is sent, and nothing more: no
  // shutdown(SHUT_WR), which would end the socket for every process holding it (a child given
  // this end, its creator closing its own copy after spawning), as Python's close() does not.
  socket._final = (callback) => callback();
  // A reset ends the stream (the transport reads EOF); without a listener it would be thrown.
  socket.on('error', () => {});
  const connection = new Connection<T>(socketTransport(socket, name, false, maxMessageBytes));
  Object.defineProperty(connection, 'fd', { get: () => (connection.closed || socket.destroyed ? -1 : fd), enumerable: true });
  return connection as SocketPairEnd<T>;
}

/**
 * A connected pair of Unix stream sockets (Python's `socket.socketpair()`), as two Connections:
 * what one sends, the other receives (`send`/`recv`, `sendBytes`/`recvBytes`). They carry plain
 * data only, as every socket Connection: sending a handle (a Lock, a Queue...) throws TypeError.
 *
 * Give one end to a plain child in its `stdio` (its `fd`), close it here, and make it a
 * Connection there with `connectionFromFd(3)`; closing an end closes only this process's
 * descriptor (no shutdown), so the other side reads EOF once every copy is closed. The
 * descriptor the child gets is non-blocking (Node set it so for this process's stream, and
 * the flag belongs to the socket): a Python child calls `sock.setblocking(True)`. A program without multiproc can
 * speak the frames too: each message is a 4-byte big-endian length, a kind byte (2: raw bytes,
 * as sendBytes writes and recvBytes reads), then the bytes.
 *
 * @example
 * const [parentEnd, childEnd] = socketPair();
 * const child = spawn(process.execPath, ['child.mjs'], { stdio: ['ignore', 'inherit', 'inherit', childEnd.fd] });
 * childEnd.close();
 * parentEnd.send({ job: 1 });
 * console.log(await parentEnd.recv());
 * // child.mjs: const conn = connectionFromFd(3); conn.send(await conn.recv());
 */
export function socketPair<T = unknown>(options?: SocketPairOptions): [SocketPairEnd<T>, SocketPairEnd<T>] {
  const maxMessageBytes = maxMessageBytesOf('socketPair', options);
  const [first, second] = requireNative('socketPair').socketPairCreate();
  return [endOf<T>(first, 'socket pair', maxMessageBytes), endOf<T>(second, 'socket pair', maxMessageBytes)];
}

/**
 * The Connection of a stream socket this process inherited as descriptor `fd` (a socketPair
 * end given in a child's `stdio`): the child's side of socketPair. The Connection owns the
 * descriptor from now on. Works without the native addon.
 *
 * @example
 * // in a child spawned with the end at stdio position 3
 * const conn = connectionFromFd(3);
 * conn.send(`got ${await conn.recv()}`);
 */
export function connectionFromFd<T = unknown>(fd: number, options?: SocketPairOptions): Connection<T> {
  const checked = checkInteger('connectionFromFd: "fd"', fd, 0);
  if (checked > 2 ** 31 - 1) throw outOfRange('connectionFromFd: "fd"', 'a descriptor number', fd);
  const maxMessageBytes = maxMessageBytesOf('connectionFromFd', options);
  let isSocket: boolean;
  try {
    isSocket = fstatSync(checked).isSocket();
  } catch (error) {
    throw invalidValue('connectionFromFd: "fd"', 'an open descriptor', fd, `fstat failed: ${(error as NodeJS.ErrnoException).code}.`);
  }
  if (!isSocket) throw invalidValue('connectionFromFd: "fd"', 'the descriptor of a stream socket (a socketPair end)', fd, 'It is not a socket.');
  return endOf<T>(checked, `socket (fd ${checked})`, maxMessageBytes);
}

