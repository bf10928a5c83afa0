// How a value becomes a record of a channel or socket, and back. A value is a structured clone
// (node:v8), with handles rewritten by the codec; a top-level typed array or Buffer of some size
// skips serialization: its bytes are copied once, straight into the record, and the receiver
// gets a view of them where they arrived (no copy at all). Nothing received is ever executed.

import { deserialize, serialize } from 'node:v8';
import { InvalidStateError } from '../errors.js';
import { decodeValue, encodeValue } from '../tasks/codec.js';

/** What a record holds. */
export const RecordKind = { Value: 0, ValueWithHandles: 1, Bytes: 2, BinaryView: 3 } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export interface Message {
  readonly kind: RecordKind;
  readonly parts: readonly Uint8Array[];
}

/** Smaller binary values go through v8 serialization like everything else. */
const BINARY_VIEW_FROM_BYTES = 16 * 1024;
/** A binary view's record: 8 bytes naming its type (keeps the data 8-byte aligned), then the data. */
const VIEW_HEADER_BYTES = 8;

const viewTypes = [
  Buffer,
  Uint8Array,
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
] as const;

interface TypedArrayConstructor {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): ArrayBufferView;
  readonly BYTES_PER_ELEMENT: number;
}

function viewTypeIndex(value: ArrayBufferView): number {
  const prototype = Object.getPrototypeOf(value);
  return viewTypes.findIndex((type) => prototype === type.prototype);
}

/** The record for `value`; throws a TypeError naming where an unsendable part sits (`where` is its path). */
export function encodeMessage(value: unknown, where: string): Message {
  if (ArrayBuffer.isView(value) && value.byteLength >= BINARY_VIEW_FROM_BYTES) {
    const typeIndex = viewTypeIndex(value);
    if (typeIndex >= 0) {
      const header = new Uint8Array(VIEW_HEADER_BYTES);
      header[0] = typeIndex;
      return { kind: RecordKind.BinaryView, parts: [header, new Uint8Array(value.buffer, value.byteOffset, value.byteLength)] };
    }
  }
  const encoded = encodeValue(value, where, 'process');
  return { kind: encoded.hasHandles ? RecordKind.ValueWithHandles : RecordKind.Value, parts: [serialize(encoded.value)] };
}

/** The value a record holds (a record of raw bytes reads as a Buffer of them). */
export function decodeMessage(kind: number, bytes: Uint8Array, where: string): unknown {
  if (kind === RecordKind.Bytes) return Buffer.from(bytes);
  if (kind === RecordKind.BinaryView) return viewOf(bytes, where);
  let value: unknown;
  try {
    value = deserialize(bytes);
  } catch (error) {
    throw malformed(where, bytes, error);
  }
  return kind === RecordKind.ValueWithHandles ? decodeValue(value, true) : value;
}

function viewOf(bytes: Uint8Array, where: string): ArrayBufferView {
  const type = viewTypes[bytes[0] ?? -1];
  const length = bytes.byteLength - VIEW_HEADER_BYTES;
  const start = bytes.byteOffset + VIEW_HEADER_BYTES;
  if (!type || length < 0) throw malformed(where, bytes);
  if (type === DataView) return new DataView(bytes.buffer, start, length);
  if (type === Buffer) return Buffer.from(bytes.buffer, start, length);
  const typed = type as TypedArrayConstructor;
  const size = typed.BYTES_PER_ELEMENT;
  if (length % size !== 0 || start % size !== 0) throw malformed(where, bytes);
  return new typed(bytes.buffer, start, length / size);
}

function malformed(where: string, bytes: Uint8Array, cause?: unknown): InvalidStateError {
  return new InvalidStateError(
    `${where}: a malformed message (${bytes.byteLength} bytes) arrived and was dropped; the sender wrote something that is not a multiproc message.`,
    { cause },
  );
}
