// Small blocks of shared memory for synchronization objects (a lock is a few 32-bit words).
// With the native addon, blocks come from memfd segments (never leaked: they vanish with their
// last mapping) that another process maps through /proc/<pid>/fd/<fd> of the process sending
// the object. Without it, blocks are plain SharedArrayBuffers, shared by threads only.

import { openSync } from 'node:fs';
import type { NativeBinding } from '../native/binding.js';
import { loadNative, nativeUnavailableReason } from '../native/loader.js';
import type { Destination } from '../tasks/codec.js';

const SEGMENT_BYTES = 64 * 1024;

/** A block of 32-bit words in shared memory. */
export interface SharedBlock {
  readonly buffer: SharedArrayBuffer;
  /** Offset of the first word, in bytes (a multiple of 4). */
  readonly byteOffset: number;
  readonly words: Int32Array;
  /** Native blocks are waited on with futexes; local ones with Atomics (threads only). */
  readonly isNative: boolean;
}

/** The wire form of a block: where a receiving process finds the same memory. */
export type BlockRecord =
  | { readonly kind: 'native'; readonly pid: number; readonly fd: number; readonly bytes: number; readonly byteOffset: number; readonly words: number }
  | { readonly kind: 'local'; readonly buffer: SharedArrayBuffer; readonly byteOffset: number; readonly words: number };

interface Segment {
  readonly buffer: SharedArrayBuffer;
  /** This process's open fd of the segment (kept open so children can map it through /proc). */
  readonly fd: number;
  used: number;
}

let current: Segment | null = null;
/** Segments this process mapped, by buffer and by "<pid>:<fd>" of their sender. */
const fdOfBuffer = new WeakMap<SharedArrayBuffer, number>();
const attached = new Map<string, SharedArrayBuffer>();

function newSegment(native: NativeBinding): Segment {
  const fd = native.memfdCreate('multiproc-sync');
  native.resize(fd, SEGMENT_BYTES);
  const buffer = native.mapShared(fd, SEGMENT_BYTES);
  fdOfBuffer.set(buffer, fd);
  return { buffer, fd, used: 0 };
}

/** A new block of `count` zeroed words, aligned to 8 bytes. */
export function allocateBlock(count: number): SharedBlock {
  const bytes = Math.ceil((count * 4) / 8) * 8;
  const native = loadNative();
  if (!native) {
    const buffer = new SharedArrayBuffer(bytes);
    return { buffer, byteOffset: 0, words: new Int32Array(buffer), isNative: false };
  }
  if (!current || current.used + bytes > SEGMENT_BYTES) current = newSegment(native);
  const byteOffset = current.used;
  current.used += bytes;
  return { buffer: current.buffer, byteOffset, words: new Int32Array(current.buffer, byteOffset, count), isNative: true };
}

/** How a block is sent; a threads-only block cannot go to a process. */
export function blockToRecord(block: SharedBlock, destination: Destination, where: string): BlockRecord {
  const words = block.words.length;
  if (!block.isNative) {
    if (destination === 'process') {
      throw new TypeError(
        `${where}: this object lives in memory shared between threads only, because multiproc's native addon is unavailable (${nativeUnavailableReason()}); it cannot be sent to another process. Use the thread context, or build the addon.`,
      );
    }
    return { kind: 'local', buffer: block.buffer, byteOffset: block.byteOffset, words };
  }
  const fd = fdOfBuffer.get(block.buffer)!;
  return { kind: 'native', pid: process.pid, fd, bytes: block.buffer.byteLength, byteOffset: block.byteOffset, words };
}

/** The block a record names, mapped into this process (once per segment). */
export function blockFromRecord(record: BlockRecord): SharedBlock {
  if (record.kind === 'local') {
    return { buffer: record.buffer, byteOffset: record.byteOffset, words: new Int32Array(record.buffer, record.byteOffset, record.words), isNative: false };
  }
  const buffer = record.pid === process.pid ? bufferOfOwnFd(record) : attach(record);
  return { buffer, byteOffset: record.byteOffset, words: new Int32Array(buffer, record.byteOffset, record.words), isNative: true };
}

function bufferOfOwnFd(record: Extract<BlockRecord, { kind: 'native' }>): SharedArrayBuffer {
  // A thread of the same process: the segment is already mapped here (same fd table).
  return attached.get(`${record.pid}:${record.fd}`) ?? attach(record);
}

function attach(record: Extract<BlockRecord, { kind: 'native' }>): SharedArrayBuffer {
  const key = `${record.pid}:${record.fd}`;
  const known = attached.get(key);
  if (known) return known;
  const native = loadNative();
  if (!native) throw new Error(`A synchronization object arrived from process ${record.pid}, but the native addon is unavailable here: ${nativeUnavailableReason()}.`);
  // The sender's fd, opened through /proc: the same memory, now with an fd of our own.
  const fd = openSync(`/proc/${record.pid}/fd/${record.fd}`, 'r+');
  const buffer = native.mapShared(fd, record.bytes);
  fdOfBuffer.set(buffer, fd);
  attached.set(key, buffer);
  return buffer;
}
