// SharedArray and RawArray: Python's multiprocessing.Array / RawArray (renamed: a module must
// not shadow the global Array). A fixed-length typed array in shared memory; `array[i]` reads
// and writes one element (a Proxy maps indexes to the typed view), `view` is the typed array
// itself, and the lock guards compound updates, as Value's does.

import { InvalidStateError } from '../base/errors.js';
import type { Lock } from '../sync/lock.js';
import type { RLock } from '../sync/rlock.js';
import { ADOPTION, type Adoption, blockFor, isAdoption, registerSharedType, type SharedWords, type WithAdoption } from '../sync/shared-words.js';
import { encodeValue } from '../tasks/codec.js';
import { checkIndex, withIndexes } from './indexing.js';
import { checkInteger, checkOptionsObject, describeValue, invalidType, outOfRange } from '../base/validate.js';
import type { SharedBlock } from '../memory/arena.js';
import { bytesPerElement, checkTypecode, type ElementOfTypecode, fromStored, type Typecode, type TypedView, toStored, viewOf } from './typecodes.js';
import { lockFromOption, type ValueOptions } from './value.js';


function initialValues(where: string, sizeOrInit: unknown): { length: number; values: unknown[] | null } {
  if (typeof sizeOrInit === 'number') return { length: checkInteger(`${where}: "sizeOrInit"`, sizeOrInit, 0), values: null };
  if (typeof sizeOrInit === 'string') return { length: sizeOrInit.length, values: [...sizeOrInit] };
  if (sizeOrInit !== null && typeof sizeOrInit === 'object' && Symbol.iterator in sizeOrInit) {
    const values = [...(sizeOrInit as Iterable<unknown>)];
    return { length: values.length, values };
  }
  throw invalidType(`${where}: "sizeOrInit"`, 'a length or an iterable of initial values', sizeOrInit);
}

/**
 * A fixed-length array of numbers (or bigints, or characters) in shared memory.
 * Covariant in its typecode: a `SharedArray<'d'>` is a `SharedArray<number>`.
 *
 * @example
 * const squares = new SharedArray('d', 10);
 * squares[3] = 9;          // seen by every process that has the array
 */
export class SharedArray<out T extends Typecode = Typecode> implements SharedWords {
  [index: number]: ElementOfTypecode<T>;
  readonly #typecode: T;
  readonly #block: SharedBlock;
  readonly #view: TypedView;
  readonly #lock: Lock | RLock | null;

  constructor(typecode: T, sizeOrInit: number | Iterable<ElementOfTypecode<T>> | string, options: ValueOptions = {}) {
    const where = new.target.name;
    this.#typecode = checkTypecode(`${where}: "typecode"`, typecode) as T;
    checkOptionsObject(`${where}: "options"`, options);
    const { length, values } = initialValues(where, sizeOrInit);
    const adoption = (options as WithAdoption<ValueOptions> | null)?.[ADOPTION];
    this.#block = blockFor(adoption, Math.max(1, length) * bytesPerElement(this.#typecode));
    this.#view = viewOf(this.#typecode, this.#block.buffer, this.#block.byteOffset, length);
    this.#lock = lockFromOption(where, options.lock);
    if (values && !isAdoption(adoption)) {
      for (let index = 0; index < values.length; index++) this.setAt(index, values[index] as ElementOfTypecode<T>);
    }
    // biome-ignore lint/correctness/noConstructorReturn: indexes are served by the proxy (SPEC §7: array[i])
    return withIndexes(this);
  }

  /** @internal Rebuilds a SharedArray (or RawArray) received from another process or thread, with its received lock. */
  static fromRecord<C extends Typecode>(adoption: Adoption, typecode: C, length: number, raw: boolean, lock: unknown): SharedArray<C> {
    const options: WithAdoption<ValueOptions> = { lock: raw ? false : (lock as Lock | RLock | false), [ADOPTION]: adoption };
    // A RawArray is a SharedArray with RawArray's prototype: its own constructor only fixes `lock: false`.
    return Reflect.construct(SharedArray, [typecode, length, options], raw ? RawArray : SharedArray) as SharedArray<C>;
  }

  /** @internal */
  get sharedBlock(): SharedBlock {
    return this.#block;
  }

  get typecode(): T {
    return this.#typecode;
  }

  get length(): number {
    return this.#view.length;
  }

  /** The typed array over the shared memory itself (no copy). */
  get view(): TypedView {
    return this.#view;
  }

  /** Element `index`; negative indexes count from the end, as Python's. */
  at(index: number): ElementOfTypecode<T> {
    return fromStored(this.#typecode, this.#view[checkIndex(this, index, this.#view.length)]);
  }

  /** @internal Writes element `index` (what `array[index] = value` does). */
  setAt(index: number, value: ElementOfTypecode<T>): void {
    const at = checkIndex(this, index, this.#view.length);
    (this.#view as Float64Array)[at] = toStored(this.#typecode, value, `${this.constructor.name}[${index}]`) as number;
  }

  /** The elements in order, read as the iteration reaches them (`[...array]`, `for (const x of array)`). */
  *[Symbol.iterator](): IterableIterator<ElementOfTypecode<T>> {
    for (let index = 0; index < this.#view.length; index++) yield fromStored(this.#typecode, this.#view[index]);
  }

  /** The elements, copied into a plain array. */
  toArray(): ElementOfTypecode<T>[] {
    return Array.from(this.#view as ArrayLike<number | bigint>, (stored) => fromStored(this.#typecode, stored));
  }

  /** A copy of elements `start` to `end` (exclusive), as a plain array. */
  slice(start?: number, end?: number): ElementOfTypecode<T>[] {
    return this.toArray().slice(start, end);
  }

  /** Writes `values` from `offset` on. */
  set(values: Iterable<ElementOfTypecode<T>>, offset = 0): void {
    const items = [...values];
    checkInteger('SharedArray.set: "offset"', offset, 0);
    if (offset + items.length > this.length) {
      throw outOfRange('SharedArray.set: "values"', `at most ${this.length - offset} values from offset ${offset}`, items);
    }
    for (let index = 0; index < items.length; index++) this.setAt(offset + index, items[index]);
  }

  /** A 'c' array as a string (Python's `.value` of a char array, up to the first NUL). */
  get value(): string {
    if (this.#typecode !== 'c') throw new InvalidStateError(`SharedArray.value: only a 'c' (character) array has a string value; this one is '${this.#typecode}'.`);
    const text = String.fromCharCode(...(this.#view as Uint8Array));
    const end = text.indexOf('\0');
    return end < 0 ? text : text.slice(0, end);
  }

  set value(text: string) {
    if (this.#typecode !== 'c') throw new InvalidStateError(`SharedArray.value: only a 'c' (character) array has a string value; this one is '${this.#typecode}'.`);
    if (typeof text !== 'string' || text.length > this.length) throw outOfRange('SharedArray.value', `a string of at most ${this.length} characters`, text);
    const bytes = this.#view as Uint8Array;
    bytes.fill(0);
    for (let index = 0; index < text.length; index++) bytes[index] = toStored('c', text[index], 'SharedArray.value') as number;
  }

  /** The lock guarding compound updates. Throws InvalidStateError for an array made with `{ lock: false }`. */
  getLock(): Lock | RLock {
    if (!this.#lock) throw new InvalidStateError(`${this.constructor.name}.getLock: this array was made without a lock ({ lock: false }).`);
    return this.#lock;
  }

  /** @internal */
  get lockOrNull(): Lock | RLock | null {
    return this.#lock;
  }

  toString(): string {
    return `${this.constructor.name}('${this.#typecode}', [${this.toArray().join(', ')}])`;
  }
}

/** Python's RawArray: a SharedArray without a lock. */
export class RawArray<out T extends Typecode = Typecode> extends SharedArray<T> {
  constructor(typecode: T, sizeOrInit: number | Iterable<ElementOfTypecode<T>> | string) {
    super(typecode, sizeOrInit, { lock: false });
  }
}

registerSharedType(
  'shared-array',
  SharedArray,
  (array, destination, where) => ({
    typecode: array.typecode,
    length: array.length,
    raw: array instanceof RawArray,
    lock: array.lockOrNull ? encodeValue(array.lockOrNull, `${where}.lock`, destination).value : false,
  }),
  (adoption, { typecode, length, raw, lock }) => {
    // A length arrives as data: only a count is taken (a string or a list would be an initializer).
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`"length" must be an integer >= 0, received ${describeValue(length)}.`);
    return SharedArray.fromRecord(adoption, typecode, length, raw, lock);
  },
);
