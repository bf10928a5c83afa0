// Blocks of shared memory for synchronization objects (a lock is a few 32-bit words) and shared
// values and arrays. With the native addon, blocks come from memfd segments (never leaked: they vanish with their
// last mapping) that another process maps through /proc/<pid>/fd/<fd> of the process sending
// the object. Without it, blocks are plain SharedArrayBuffers, shared by threads only. A
// received record is checked field by field before anything is mapped (foreign-segment.ts
// checks what it leads to), so a forged one fails with InvalidStateError, never a crash.

import { constants as bufferConstants } from 'node:buffer';
import { InvalidStateError } from '../base/errors.js';
import type { NativeBinding } from '../native/binding.js';
import { loadNative, nativeUnavailableReason } from '../native/loader.js';
import type { Destination } from '../tasks/codec.js';
import { describeValue } from '../base/validate.js';
import { descriptorOf, mapSegmentOf, noteOwnSegment, RefusedSegment, SEGMENT_NAME } from './foreign-segment.js';

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
  used: number;
}

let current: Segment | null = null;

function newSegment(native: NativeBinding, bytes: number): Segment {
  const fd = native.memfdCreate(SEGMENT_NAME);
  try {
    native.resize(fd, bytes);
    native.sealAgainstShrinking(fd);
    const buffer = native.mapShared(fd, bytes);
    // This process's fd stays open: other processes map the segment through /proc/<pid>/fd.
    noteOwnSegment(buffer, fd);
    return { buffer, used: 0 };
  } catch (error) {
    native.closeFd(fd);
    throw error;
  }
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
  const fd = descriptorOf(block.buffer)!;
  return { kind: 'native', pid: process.pid, fd, bytes: block.buffer.byteLength, byteOffset, byteLength };
}

/** An error for a handle record that cannot be used: what it was for ("Received lock"), and why. */
export function refusedRecord(what: string, reason: string): InvalidStateError {
  return new InvalidStateError(`${what}: the record is refused: ${reason}. A process of this tree sent a corrupted or forged handle.`);
}

function refused(what: string, reason: string): InvalidStateError {
  return refusedRecord(what, `its shared block: ${reason}`);
}

function isCount(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

/**
 * The record's shape, checked field by field: kind, integers in range, the block 8-byte aligned
 * and inside the segment or buffer it names.
 */
function checkRecord(record: unknown, what: string): BlockRecord {
  if (typeof record !== 'object' || record === null) throw refused(what, `expected a block record, received ${describeValue(record)}`);
  const fields = record as Record<string, unknown>;
  const { kind, byteOffset, byteLength } = fields;
  let bytes: unknown;
  if (kind === 'native') {
    bytes = fields.bytes;
    if (!isCount(fields.pid, 2 ** 22) || fields.pid === 0) throw refused(what, `"pid" must be a process id, received ${describeValue(fields.pid)}`);
    if (!isCount(fields.fd, 2 ** 31 - 1)) throw refused(what, `"fd" must be a descriptor number, received ${describeValue(fields.fd)}`);
    if (!isCount(bytes, bufferConstants.MAX_LENGTH) || bytes === 0) throw refused(what, `"bytes" must be a segment size, received ${describeValue(bytes)}`);
  } else if (kind === 'local') {
    if (!(fields.buffer instanceof SharedArrayBuffer)) throw refused(what, `"buffer" must be a SharedArrayBuffer, received ${describeValue(fields.buffer)}`);
    bytes = fields.buffer.byteLength;
  } else {
    throw refused(what, `"kind" must be "native" or "local", received ${describeValue(kind)}`);
  }
  if (!isCount(byteOffset, bytes as number) || byteOffset % 8 !== 0) throw refused(what, `"byteOffset" must be a multiple of 8 within the segment, received ${describeValue(byteOffset)}`);
  if (!isCount(byteLength, (bytes as number) - byteOffset)) {
    throw refused(what, `"byteLength" must fit in the ${bytes} bytes of the segment after offset ${byteOffset}, received ${describeValue(byteLength)}`);
  }
  return record as BlockRecord;
}

/**
 * The block a record names, mapped into this process (once per segment). `what` names the
 * object for errors ("Received lock"); `minimumBytes` is what the object needs of the block.
 */
export function blockFromRecord(record: unknown, what = 'Received handle', minimumBytes = 0): SharedBlock {
  const checked = checkRecord(record, what);
  if (checked.byteLength < minimumBytes) throw refused(what, `it is ${checked.byteLength} bytes long where ${minimumBytes} are needed`);
  if (checked.kind === 'local') return blockOf(checked.buffer, checked.byteOffset, checked.byteLength, false);
  const native = loadNative();
  if (!native) throw new InvalidStateError(`${what}: it arrived from process ${checked.pid}, but the native addon is unavailable here: ${nativeUnavailableReason()}.`);
  try {
    return blockOf(mapSegmentOf(native, checked.pid, checked.fd, checked.bytes), checked.byteOffset, checked.byteLength, true);
  } catch (error) {
    if (error instanceof RefusedSegment) throw refused(what, error.message);
    throw error;
  }
}
