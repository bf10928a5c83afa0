// Blocks of shared memory for synchronization objects (a lock is a few 32-bit words) and shared
// values and arrays. With the native addon, blocks come from memfd segments (never leaked: they vanish with their
// last mapping) that another process maps through /proc/<pid>/fd/<fd> of the process sending
// the object. Without it, blocks are plain SharedArrayBuffers, shared by threads only.

import { openSync } from 'node:fs';
import type { NativeBinding } from '../native/binding.js';
import { loadNative, nativeUnavailableReason } from '../native/loader.js';
import type { Destination } from '../tasks/codec.js';

const SEGMENT_BYTES = 64 * 1024;
/** Larger blocks (big shared arrays) get a segment of their own. */
const DEDICATED_FROM_BYTES = 4 * 1024;

/** A block of 32-bit words in shared memory. */
export interface SharedBlock {
  readonly buffer: SharedArrayBuffer;
  /** Offset of the first byte (a multiple of 8). */
  readonly byteOffset: number;
  readonly byteLength: number;
  /** The block as 32-bit words (its whole length rounded down to 4 bytes). */
  readonly words: Int32Array;
  /** Native blocks are waited on with futexes; local ones with Atomics (threads only). */
  readonly isNative: boolean;
}

/** The wire form of a block: where a receiving process finds the same memory. */
export type BlockRecord =
  | { readonly kind: 'native'; readonly pid: number; readonly fd: number; readonly bytes: number; readonly byteOffset: number; readonly byteLength: number }
  | { readonly kind: 'local'; readonly buffer: SharedArrayBuffer; readonly byteOffset: number; readonly byteLength: number };

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

function newSegment(native: NativeBinding, bytes: number): Segment {
  const fd = native.memfdCreate('multiproc-shared');
  native.resize(fd, bytes);
  const buffer = native.mapShared(fd, bytes);
  fdOfBuffer.set(buffer, fd);
  return { buffer, fd, used: 0 };
}

function blockOf(buffer: SharedArrayBuffer, byteOffset: number, byteLength: number, isNative: boolean): SharedBlock {
  return { buffer, byteOffset, byteLength, words: new Int32Array(buffer, byteOffset, Math.floor(byteLength / 4)), isNative };
}

/** A new block of `count` zeroed 32-bit words (a lock's state, say). */
export function allocateBlock(count: number): SharedBlock {
  return allocateBytes(count * 4);
}

/** A new zeroed block of `byteLength` bytes, aligned to 8 bytes (any typed array fits it). */
export function allocateBytes(byteLength: number): SharedBlock {
  const bytes = Math.max(8, Math.ceil(byteLength / 8) * 8);
  const native = loadNative();
  if (!native) return blockOf(new SharedArrayBuffer(bytes), 0, byteLength, false);
  if (bytes >= DEDICATED_FROM_BYTES) return blockOf(newSegment(native, bytes).buffer, 0, byteLength, true);
  if (!current || current.used + bytes > SEGMENT_BYTES) current = newSegment(native, SEGMENT_BYTES);
  const byteOffset = current.used;
  current.used += bytes;
  return blockOf(current.buffer, byteOffset, byteLength, true);
}

/** How a block is sent; a threads-only block cannot go to a process. */
export function blockToRecord(block: SharedBlock, destination: Destination, where: string): BlockRecord {
  const { byteOffset, byteLength } = block;
  if (!block.isNative) {
    if (destination === 'process') {
      throw new TypeError(
        `${where}: this object lives in memory shared between threads only, because multiproc's native addon is unavailable (${nativeUnavailableReason()}); it cannot be sent to another process. Use the thread context, or build the addon.`,
      );
    }
    return { kind: 'local', buffer: block.buffer, byteOffset, byteLength };
  }
  const fd = fdOfBuffer.get(block.buffer)!;
  return { kind: 'native', pid: process.pid, fd, bytes: block.buffer.byteLength, byteOffset, byteLength };
}

/** The block a record names, mapped into this process (once per segment). */
export function blockFromRecord(record: BlockRecord): SharedBlock {
  if (record.kind === 'local') return blockOf(record.buffer, record.byteOffset, record.byteLength, false);
  const buffer = record.pid === process.pid ? bufferOfOwnFd(record) : attach(record);
  return blockOf(buffer, record.byteOffset, record.byteLength, true);
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
