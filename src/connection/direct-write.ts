// Writing to a node:net Socket with one system call when the descriptor has room: the write path
// of multiproc/ipc's pipe and FIFO ends and of every socket Connection (Listener/Client,
// socketPair).
//
// Node's own path costs a request object, a trip through libuv and its bookkeeping for every
// write, even a small one that the kernel takes at once. Here `_write`/`_writev` first make one
// non-blocking write(2)/writev(2) through the addon; when the kernel took every byte, the write
// is done there and then, as Node itself does when its first try succeeds. Otherwise what is left
// (all of it on EAGAIN, the rest of a partial write, any error such as EPIPE) goes to Node's own
// path, which retries, waits for room and reports errors exactly as it always did. The stream
// calls `_write`/`_writev` one at a time, so nothing overtakes a write Node still holds, and
// 'drain', backpressure and 'finish' are the Writable's own.

import type { Socket } from 'node:net';
import { loadNative } from '../native/loader.js';

type WriteCallback = (error?: Error | null) => void;
type Chunk = { chunk: unknown; encoding: BufferEncoding | 'buffer' };

/** The parts of node:net's Socket used here (not in its public typings). */
interface SocketInternals {
  _write(data: unknown, encoding: BufferEncoding | 'buffer', callback: WriteCallback): void;
  _writev(chunks: Chunk[] & { allBuffers?: boolean }, callback: WriteCallback): void;
  _handle: object | null;
  _unrefTimer(): void;
  connecting: boolean;
}

/** Whether a write may go straight to the descriptor: connected, open, and the chunk is bytes. */
function isDirect(socket: SocketInternals, data: unknown): data is Uint8Array {
  return data instanceof Uint8Array && !socket.connecting && socket._handle !== null;
}

/** node:net's own `bytesWritten` getter, found on the socket's prototypes. */
function bytesWrittenGetter(socket: Socket): (() => number | undefined) | undefined {
  for (let proto = Object.getPrototypeOf(socket); proto !== null; proto = Object.getPrototypeOf(proto)) {
    const getter = Object.getOwnPropertyDescriptor(proto, 'bytesWritten')?.get;
    if (getter) return getter;
  }
  return undefined;
}

/**
 * Makes `socket`'s writes go straight to `fd` (its own non-blocking descriptor) whenever the
 * kernel takes them whole. Without the native addon, the socket keeps Node's path.
 */
export function writeDirectly(socket: Socket, fd: number): void {
  const native = loadNative();
  if (native === null || !Number.isInteger(fd) || fd < 0) return;
  const internals = socket as unknown as SocketInternals;
  const write = internals._write;
  const writev = internals._writev;
  // bytesWritten counts what went through Node's path: add what went straight to the descriptor.
  let directBytes = 0;
  const counted = bytesWrittenGetter(socket);
  if (counted) Object.defineProperty(socket, 'bytesWritten', { get: () => (counted.call(socket) ?? 0) + directBytes, configurable: true });

  internals._write = function directWrite(this: SocketInternals, data, encoding, callback): void {
    if (!isDirect(this, data)) {
      write.call(this, data, encoding, callback);
      return;
    }
    const wrote = native.fdWrite(fd, data);
    if (wrote > 0) {
      directBytes += wrote;
      this._unrefTimer();
    }
    if (wrote === data.byteLength) callback();
    else write.call(this, wrote > 0 ? data.subarray(wrote) : data, encoding, callback);
  };

  internals._writev = function directWritev(this: SocketInternals, chunks, callback): void {
    const parts = chunks.map((each) => each.chunk);
    if (!parts.every((part) => isDirect(this, part))) {
      writev.call(this, chunks, callback);
      return;
    }
    const wrote = native.fdWritev(fd, parts);
    if (wrote > 0) {
      directBytes += wrote;
      this._unrefTimer();
    }
    if (wrote === parts.reduce((sum, part) => sum + part.byteLength, 0)) callback();
    else writev.call(this, wrote > 0 ? rest(parts, wrote) : chunks, callback);
  };
}

/** The chunks of `parts` from the first byte after the first `wrote` on. */
function rest(parts: readonly Uint8Array[], wrote: number): Chunk[] & { allBuffers?: boolean } {
  const chunks: Chunk[] & { allBuffers?: boolean } = [];
  let skip = wrote;
  for (const part of parts) {
    if (skip >= part.byteLength) skip -= part.byteLength;
    else {
      chunks.push({ chunk: skip > 0 ? part.subarray(skip) : part, encoding: 'buffer' });
      skip = 0;
    }
  }
  chunks.allBuffers = true;
  return chunks;
}
