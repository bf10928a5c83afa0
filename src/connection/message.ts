// How a value becomes a record of a channel or socket, and back. A value is a structured clone
// (node:v8), with handles rewritten by the codec; a top-level typed array or Buffer of some size
// skips serialization: its bytes are copied once, straight into the record, and the receiver
// gets a view of them where they arrived (no copy at all). Small plain data (a few fields of
// numbers and strings, most messages) travels within the tree (pipes, queues) as JSON text where
// JSON carries it exactly as the structured clone would (tasks/exact-json.ts): v8's serializer
// costs more to set up per message than the whole rest of a send. A socket reads JSON records
// too, and writes v8's. Nothing received is ever executed.

import { deserialize, serialize } from 'node:v8';
import { InvalidStateError } from '../base/errors.js';
import { type Destination, decodeValue, encodeValue, type Origin } from '../tasks/codec.js';
import { exactJson } from '../tasks/exact-json.js';

/** What a record holds. */
export const RecordKind = { Value: 0, ValueWithHandles: 1, Bytes: 2, BinaryView: 3, Number: 4, String: 5, Constant: 6, Json: 7 } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export interface Message {
  readonly kind: RecordKind;
  /** Read once, right when the record is written: it may be a view of a scratch buffer. */
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

/** Numbers, strings, booleans, null and undefined skip v8 serialization: most messages are small. */
const numberBytes = new Uint8Array(8);
const numberView = new Float64Array(numberBytes.buffer);
const numberParts = [numberBytes] as const;
const constants = [null, undefined, false, true] as const;
const constantBytes = constants.map((_, index) => Uint8Array.of(index));
const utf8 = new TextDecoder();
const toUtf8 = new TextEncoder();

/**
 * A number's record, written through one scratch buffer filled when the record is written (an
 * ArrayBuffer per message would cost more than the rest of the write).
 */
class NumberMessage implements Message {
  readonly kind = RecordKind.Number;
  readonly #value: number;

  constructor(value: number) {
    this.#value = value;
  }

  get parts(): readonly Uint8Array[] {
    numberView[0] = this.#value;
    return numberParts;
  }
}

/** The scratch JSON records are written through; a longer text gets a Buffer of its own. */
const jsonBytes = new Uint8Array(64 * 1024);

/** A JSON record, its UTF-8 bytes written through one scratch buffer when the record is written (as a number's). */
class JsonMessage implements Message {
  readonly kind = RecordKind.Json;
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  get parts(): readonly Uint8Array[] {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    if (this.#text.length * 3 > jsonBytes.byteLength) return [Buffer.from(this.#text, 'utf8')];
    return [new Uint8Array(jsonBytes.buffer, 0, toUtf8.encodeInto(this.#text, jsonBytes).written)];
  }
}

/** A string with a lone surrogate has no UTF-8 form: it goes through v8, which keeps it. */
function isWellFormed(value: string): boolean {
  return (value as string & { isWellFormed(): boolean }).isWellFormed();
}

function encodePrimitive(value: unknown): Message | null {
  switch (typeof value) {
    case 'number':
      return new NumberMessage(value);
    case 'string':
      return value.length > 4096 || !isWellFormed(value) ? null : { kind: RecordKind.String, parts: [Buffer.from(value, 'utf8')] };
    case 'boolean':
    case 'undefined':
      return { kind: RecordKind.Constant, parts: [constantBytes[constants.indexOf(value)]!] };
    case 'object':
      return value === null ? { kind: RecordKind.Constant, parts: [constantBytes[0]!] } : null;
    default:
      return null;
  }
}

function decodePrimitive(kind: number, bytes: Uint8Array, where: string): unknown {
  if (kind === RecordKind.String) return utf8.decode(bytes);
  if (kind === RecordKind.Number && bytes.byteLength === 8) {
    numberBytes.set(bytes); // the record may sit anywhere: read it through an aligned scratch copy
    return numberView[0];
  }
  if (kind === RecordKind.Constant && bytes.byteLength === 1 && bytes[0]! < constants.length) return constants[bytes[0]!];
  throw malformed(where, bytes);
}

/**
 * The record for `value`; throws a TypeError naming where an unsendable part sits (`where` is
 * its path). For a peer outside the tree (a socket), handles are unsendable too.
 */
export function encodeMessage(value: unknown, where: string, destination: Destination = 'process'): Message {
  const primitive = encodePrimitive(value);
  if (primitive) return primitive;
  if (ArrayBuffer.isView(value) && value.byteLength >= BINARY_VIEW_FROM_BYTES) {
    const typeIndex = viewTypeIndex(value);
    if (typeIndex >= 0) {
      const header = new Uint8Array(VIEW_HEADER_BYTES);
      header[0] = typeIndex;
      return { kind: RecordKind.BinaryView, parts: [header, new Uint8Array(value.buffer, value.byteOffset, value.byteLength)] };
    }
  }
  // Only within the tree: a socket's peer may be an older multiproc, which reads v8 records only.
  const json = destination !== 'peer' && typeof value === 'object' && value !== null ? exactJson(value) : null;
  if (json !== null) return new JsonMessage(json); // plain data: no handles, nothing the codec refuses
  const encoded = encodeValue(value, where, destination === 'peer' ? 'peer' : 'process');
  return { kind: encoded.hasHandles ? RecordKind.ValueWithHandles : RecordKind.Value, parts: [serialize(encoded.value)] };
}

/**
 * The value a record holds (a record of raw bytes reads as a Buffer of them). From a peer, a
 * record holding a handle is refused with a TypeError before anything is rebuilt.
 */
export function decodeMessage(kind: number, bytes: Uint8Array, where: string, origin: Origin = 'tree'): unknown {
  if (kind === RecordKind.Bytes) return Buffer.from(bytes);
  if (kind < RecordKind.Value || kind > RecordKind.Json) throw malformed(where, bytes);
  if (kind === RecordKind.BinaryView) return viewOf(bytes, where);
  if (kind >= RecordKind.Number && kind <= RecordKind.Constant) return decodePrimitive(kind, bytes, where);
  let value: unknown;
  try {
    value = kind === RecordKind.Json ? JSON.parse(utf8.decode(bytes)) : deserialize(bytes);
  } catch (error) {
    throw malformed(where, bytes, error);
  }
  // JSON text holds no handles: like a plain value, it is checked only when a peer sent it.
  if ((kind === RecordKind.Value || kind === RecordKind.Json) && origin === 'tree') return value;
  try {
    return decodeValue(value, kind === RecordKind.ValueWithHandles, origin, `${where}: message`);
  } catch (error) {
    // Refusals and checked failures carry a code; anything else (a nesting too deep for the stack) is a malformed message.
    if (error instanceof Error && 'code' in error) throw error;
    throw malformed(where, bytes, error);
  }
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
