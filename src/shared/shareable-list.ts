// ShareableList: Python's multiprocessing.shared_memory.ShareableList. A fixed number of items
// (number, bigint, boolean, string, Uint8Array, null) in a named SharedMemory, readable and
// writable by index from any process that attaches it by name. Each item has a slot sized by
// its first value: a string or bytes longer than that is a RangeError, as in Python.
//
// Layout: u32 item count, then per item a 16-byte entry (kind, capacity, offset, length),
// then the slots. Numbers are float64, bigints int64, strings UTF-8.

import { InvalidStateError } from '../base/errors.js';
import { registerHandleType } from '../tasks/codec.js';
import { checkOptionsObject, describeValue, invalidType, invalidValue, outOfRange } from '../base/validate.js';
import { checkIndex, withIndexes } from './indexing.js';
import { isSegmentName } from '../memory/segment-names.js';
import { SharedMemory } from './shared-memory.js';
import { refusedRecord } from '../memory/arena.js';

/** What a ShareableList item may hold. */
export type ShareableItem = number | bigint | boolean | string | Uint8Array | null;

const Kind = { Null: 0, Number: 1, BigInt: 2, Boolean: 3, String: 4, Bytes: 5 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

const HEADER_BYTES = 8;
const ENTRY_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function kindOf(where: string, value: unknown): Kind {
  if (value === null) return Kind.Null;
  switch (typeof value) {
    case 'number':
      return Kind.Number;
    case 'bigint':
      return Kind.BigInt;
    case 'boolean':
      return Kind.Boolean;
    case 'string':
      return Kind.String;
  }
  if (value instanceof Uint8Array) return Kind.Bytes;
  throw invalidType(where, 'a number, bigint, boolean, string, Uint8Array or null', value);
}

/** The bytes an item takes in its slot. */
function encodedLength(kind: Kind, value: ShareableItem): number {
  if (kind === Kind.String) return encoder.encode(value as string).length;
  if (kind === Kind.Bytes) return (value as Uint8Array).length;
  return kind === Kind.Null ? 0 : 8;
}


export interface ShareableListOptions {
  /** The segment's name: to create it with, or (with a null sequence) to attach to. */
  name?: string | null;
}

/**
 * A fixed-length list in shared memory, attached by name from any process.
 *
 * @example
 * const list = new ShareableList([1, 'two', null]);
 * // another process: new ShareableList(null, { name: list.shm.name })[1] === 'two'
 */
export class ShareableList {
  [index: number]: ShareableItem;
  readonly #memory: SharedMemory;
  readonly #view: DataView;
  /** The item count, read once: the segment is shared, and a count changed later must not move reads out of it. */
  readonly #length: number;

  constructor(sequence: Iterable<ShareableItem> | null, options: ShareableListOptions = {}) {
    checkOptionsObject('ShareableList: "options"', options);
    if (sequence === null || sequence === undefined) {
      if (options.name == null) throw invalidValue('ShareableList: "name"', 'the name of an existing list when the sequence is null', options.name);
      this.#memory = new SharedMemory({ name: options.name });
    } else {
      this.#memory = ShareableList.#create(sequence, options.name ?? null);
    }
    this.#view = new DataView(this.#memory.buf.buffer, this.#memory.buf.byteOffset, this.#memory.size);
    this.#length = this.#memory.size >= HEADER_BYTES ? this.#view.getUint32(0, true) : -1;
    if (this.#length < 0 || HEADER_BYTES + this.#length * ENTRY_BYTES > this.#memory.size) {
      throw new InvalidStateError(`ShareableList: segment "${this.#memory.name}" (${this.#memory.size} bytes) is too small for the item count in its header; it is not a ShareableList.`);
    }
    // biome-ignore lint/correctness/noConstructorReturn: indexes are served by the proxy (SPEC §7: list[i])
    return withIndexes(this);
  }

  static #create(sequence: Iterable<ShareableItem>, name: string | null): SharedMemory {
    if (typeof sequence !== 'object' || !(Symbol.iterator in sequence)) {
      throw invalidType('ShareableList: "sequence"', 'an iterable of items, or null to attach', sequence);
    }
    const items = [...sequence];
    const kinds = items.map((item, index) => kindOf(`ShareableList: sequence[${index}]`, item));
    const capacities = items.map((item, index) => Math.max(8, encodedLength(kinds[index], item)));
    const dataStart = HEADER_BYTES + items.length * ENTRY_BYTES;
    const size = dataStart + capacities.reduce((total, capacity) => total + capacity, 0);
    const memory = new SharedMemory({ name, create: true, size: Math.max(size, 1) });
    const view = new DataView(memory.buf.buffer, memory.buf.byteOffset, memory.size);
    view.setUint32(0, items.length, true);
    let offset = dataStart;
    for (let index = 0; index < items.length; index++) {
      const entry = HEADER_BYTES + index * ENTRY_BYTES;
      view.setUint32(entry + 4, capacities[index], true);
      view.setUint32(entry + 8, offset, true);
      offset += capacities[index];
    }
    for (let index = 0; index < items.length; index++) writeItem(view, memory.buf, index, items[index], 'ShareableList');
    return memory;
  }

  /** The SharedMemory holding the list. */
  get shm(): SharedMemory {
    return this.#memory;
  }

  get length(): number {
    return this.#length;
  }

  /** Item `index`; negative indexes count from the end. */
  at(index: number): ShareableItem {
    return readItem(this.#view, this.#memory.buf, checkIndex(this, index, this.#length));
  }

  /** @internal What `list[index] = value` does. */
  setAt(index: number, value: ShareableItem): void {
    writeItem(this.#view, this.#memory.buf, checkIndex(this, index, this.#length), value, `ShareableList[${index}]`);
  }

  /** The items in order, read as the iteration reaches them (`[...list]`, `for (const item of list)`). */
  *[Symbol.iterator](): IterableIterator<ShareableItem> {
    for (let index = 0; index < this.#length; index++) yield readItem(this.#view, this.#memory.buf, index);
  }

  /** How many items equal `value` (Python's `count`). */
  count(value: ShareableItem): number {
    return this.toArray().filter((item) => sameItem(item, value)).length;
  }

  /** The position of the first item equal to `value`; RangeError when there is none (Python's ValueError). */
  index(value: ShareableItem): number {
    const found = this.toArray().findIndex((item) => sameItem(item, value));
    if (found < 0) throw outOfRange('ShareableList.index: "value"', 'an item of the list', value);
    return found;
  }

  /** The items, copied into a plain array. */
  toArray(): ShareableItem[] {
    return Array.from({ length: this.length }, (_, index) => this.at(index));
  }

  toString(): string {
    return `ShareableList(${JSON.stringify(this.toArray(), (_key, item) => (typeof item === 'bigint' ? `${item}n` : item))}, name='${this.#memory.name}')`;
  }
}

function sameItem(item: ShareableItem, value: ShareableItem): boolean {
  if (item instanceof Uint8Array && value instanceof Uint8Array) return item.length === value.length && item.every((byte, at) => byte === value[at]);
  return Object.is(item, value);
}

/** Where item `index` lives, checked to be inside the segment: its entry is shared memory anyone attached may have written. */
function slotOf(view: DataView, index: number): { capacity: number; offset: number; length: number } {
  const entry = HEADER_BYTES + index * ENTRY_BYTES;
  const capacity = view.getUint32(entry + 4, true);
  const offset = view.getUint32(entry + 8, true);
  const length = view.getUint32(entry + 12, true);
  if (capacity < 8 || length > capacity || offset + capacity > view.byteLength) {
    throw new InvalidStateError(
      `ShareableList: item ${index} claims ${capacity} bytes at offset ${offset} (length ${length}), outside the segment's ${view.byteLength} bytes; the segment is not a ShareableList, or was overwritten.`,
    );
  }
  return { capacity, offset, length };
}

function readItem(view: DataView, bytes: Uint8Array, index: number): ShareableItem {
  const entry = HEADER_BYTES + index * ENTRY_BYTES;
  const { offset, length } = slotOf(view, index);
  switch (view.getUint8(entry) as Kind) {
    case Kind.Null:
      return null;
    case Kind.Number:
      return view.getFloat64(offset, true);
    case Kind.BigInt:
      return view.getBigInt64(offset, true);
    case Kind.Boolean:
      return view.getUint8(offset) === 1;
    case Kind.String:
      return decoder.decode(bytes.subarray(offset, offset + length));
    case Kind.Bytes:
      return bytes.slice(offset, offset + length);
  }
  throw new InvalidStateError(`ShareableList: item ${index} has an unknown kind; the segment is not a ShareableList.`);
}

function writeItem(view: DataView, bytes: Uint8Array, index: number, value: ShareableItem, where: string): void {
  const kind = kindOf(where, value);
  const entry = HEADER_BYTES + index * ENTRY_BYTES;
  const { capacity, offset } = slotOf(view, index);
  const encoded = kind === Kind.String ? encoder.encode(value as string) : kind === Kind.Bytes ? (value as Uint8Array) : null;
  if (encoded && encoded.length > capacity) {
    throw outOfRange(where, `at most ${capacity} bytes (the size of the item this slot was made for)`, value);
  }
  if (kind === Kind.Number) view.setFloat64(offset, value as number, true);
  else if (kind === Kind.BigInt) view.setBigInt64(offset, value as bigint, true);
  else if (kind === Kind.Boolean) view.setUint8(offset, value ? 1 : 0);
  else if (encoded) bytes.set(encoded, offset);
  view.setUint32(entry + 12, encoded ? encoded.length : 0, true);
  view.setUint8(entry, kind);
}

registerHandleType<ShareableList>({
  tag: 'shareable-list',
  matches: (value): value is ShareableList => value instanceof ShareableList,
  encode: (list) => list.shm.name,
  decode: (name) => {
    if (!isSegmentName(name)) throw refusedRecord('Received ShareableList', `its name must match SharedMemory's name pattern, received ${describeValue(name)}`);
    return new ShareableList(null, { name });
  },
});
