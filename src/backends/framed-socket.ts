// Messages over a byte stream (the socket pair between a parent and a child process): each
// frame is a 4-byte little-endian length and a v8-serialized payload (structured clone, so
// Buffers stay binary). Frames written in one tick leave in one writev (cork/uncork).

import type { Socket } from 'node:net';
import { deserialize, serialize } from 'node:v8';

const HEADER_BYTES = 4;

export class FramedSocket {
  readonly #socket: Socket;
  #isCorked = false;
  #header = Buffer.alloc(HEADER_BYTES);
  #headerFilled = 0;
  /** Length of the frame being read; -1 while reading a header. */
  #frameLength = -1;
  #frame: Buffer | null = null;
  #frameFilled = 0;

  constructor(socket: Socket, onMessage: (message: unknown) => void) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#receive(chunk, onMessage));
  }

  get socket(): Socket {
    return this.#socket;
  }

  send(message: unknown): void {
    const payload = serialize(message);
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header.writeUInt32LE(payload.length, 0);
    if (!this.#isCorked) {
      this.#isCorked = true;
      this.#socket.cork();
      process.nextTick(() => {
        this.#isCorked = false;
        this.#socket.uncork();
      });
    }
    this.#socket.write(header);
    this.#socket.write(payload);
  }

  #receive(chunk: Buffer, onMessage: (message: unknown) => void): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#frameLength < 0) {
        offset = this.#readHeader(chunk, offset);
        if (this.#frameLength < 0) return; // header still incomplete
      }
      const length = this.#frameLength;
      const available = chunk.length - offset;
      if (this.#frame === null && available >= length) {
        // The whole frame is in this chunk: decode it in place, without a copy.
        this.#frameLength = -1;
        onMessage(deserialize(chunk.subarray(offset, offset + length)));
        offset += length;
        continue;
      }
      this.#frame ??= Buffer.allocUnsafe(length);
      const take = Math.min(length - this.#frameFilled, available);
      chunk.copy(this.#frame, this.#frameFilled, offset, offset + take);
      this.#frameFilled += take;
      offset += take;
      if (this.#frameFilled === length) {
        const frame = this.#frame;
        this.#frame = null;
        this.#frameFilled = 0;
        this.#frameLength = -1;
        onMessage(deserialize(frame));
      }
    }
  }

  /** Reads (part of) a frame header; sets the frame's length once all four bytes are in. */
  #readHeader(chunk: Buffer, offset: number): number {
    if (this.#headerFilled === 0 && chunk.length - offset >= HEADER_BYTES) {
      this.#frameLength = chunk.readUInt32LE(offset);
      return offset + HEADER_BYTES;
    }
    const take = Math.min(HEADER_BYTES - this.#headerFilled, chunk.length - offset);
    chunk.copy(this.#header, this.#headerFilled, offset, offset + take);
    this.#headerFilled += take;
    if (this.#headerFilled === HEADER_BYTES) {
      this.#headerFilled = 0;
      this.#frameLength = this.#header.readUInt32LE(0);
    }
    return offset + take;
  }
}
