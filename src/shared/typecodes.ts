// Python's `array` typecodes on 64-bit Linux, as typed arrays: b B h H i I (numbers), l L q Q
// (8 bytes: bigints), f d (floats), c (one byte, read and written as a one-character string).

import { invalidType, invalidValue, outOfRange } from '../base/validate.js';

/** The typecodes whose elements are numbers. */
export type NumberTypecode = 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'f' | 'd';
/** The typecodes whose elements are bigints (8-byte integers). */
export type BigIntTypecode = 'l' | 'L' | 'q' | 'Q';
export type Typecode = NumberTypecode | BigIntTypecode | 'c';

/**
 * What a Value or an array is annotated with: its typecode (`Value<'i'>`, what `new Value('i', 0)`
 * is), or the kind of its elements (`Value<number>`: any numeric typecode; `Value<bigint>`;
 * `Value<string>`: a 'c' one), so a function written for any numeric value takes every one.
 */
export type ElementKind = number | bigint | string;

/** The typecodes an annotation stands for: itself, or every typecode of that kind of element. */
export type TypecodeOf<T extends ElementKind> = T extends Typecode
  ? T
  : T extends number
    ? NumberTypecode
    : T extends bigint
      ? BigIntTypecode
      : string extends T
        ? 'c'
        : never;

/** What an element of typecode `C` reads and writes as (the classes use this form: it keeps them covariant in `C`). */
export type ElementOfTypecode<C extends Typecode> = C extends BigIntTypecode ? bigint : C extends 'c' ? string : number;

/** What an element reads and writes as: `ElementOf<'i'>` and `ElementOf<number>` are `number`. */
export type ElementOf<T extends ElementKind> = ElementOfTypecode<TypecodeOf<T>>;

export type TypedView =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

type ViewClass = { new (buffer: SharedArrayBuffer, byteOffset: number, length: number): TypedView; BYTES_PER_ELEMENT: number };

const VIEWS: Record<Typecode, ViewClass> = {
  b: Int8Array,
  B: Uint8Array,
  h: Int16Array,
  H: Uint16Array,
  i: Int32Array,
  I: Uint32Array,
  l: BigInt64Array,
  L: BigUint64Array,
  q: BigInt64Array,
  Q: BigUint64Array,
  f: Float32Array,
  d: Float64Array,
  c: Uint8Array,
};

const INTEGER_BOUNDS: Partial<Record<Typecode, readonly [number, number]>> = {
  b: [-128, 127],
  B: [0, 255],
  h: [-32768, 32767],
  H: [0, 65535],
  i: [-(2 ** 31), 2 ** 31 - 1],
  I: [0, 2 ** 32 - 1],
};

const BIGINT_BOUNDS: Partial<Record<Typecode, readonly [bigint, bigint]>> = {
  l: [-(2n ** 63n), 2n ** 63n - 1n],
  q: [-(2n ** 63n), 2n ** 63n - 1n],
  L: [0n, 2n ** 64n - 1n],
  Q: [0n, 2n ** 64n - 1n],
};

export function checkTypecode(where: string, typecode: unknown): Typecode {
  if (typeof typecode !== 'string' || !(typecode in VIEWS)) {
    throw invalidType(where, `one of the typecodes ${Object.keys(VIEWS).join(' ')}`, typecode);
  }
  return typecode as Typecode;
}

export function bytesPerElement(typecode: Typecode): number {
  return VIEWS[typecode].BYTES_PER_ELEMENT;
}

export function viewOf(typecode: Typecode, buffer: SharedArrayBuffer, byteOffset: number, length: number): TypedView {
  return new VIEWS[typecode](buffer, byteOffset, length);
}

/** Checks a value for a typecode and returns what the typed array stores. */
export function toStored(typecode: Typecode, value: unknown, where: string): number | bigint {
  if (typecode === 'c') {
    if (typeof value !== 'string' || value.length !== 1 || value.charCodeAt(0) > 255) {
      throw invalidValue(where, 'a one-character string (a byte)', value);
    }
    return value.charCodeAt(0);
  }
  const bigintBounds = BIGINT_BOUNDS[typecode];
  if (bigintBounds) {
    const integer = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
    if (typeof integer !== 'bigint') throw invalidType(where, `a bigint (typecode '${typecode}')`, value);
    if (integer < bigintBounds[0] || integer > bigintBounds[1]) throw outOfRange(where, `within ${bigintBounds[0]}..${bigintBounds[1]}`, value);
    return integer;
  }
  if (typeof value !== 'number') throw invalidType(where, `a number (typecode '${typecode}')`, value);
  const bounds = INTEGER_BOUNDS[typecode];
  if (bounds && (!Number.isInteger(value) || value < bounds[0] || value > bounds[1])) {
    throw outOfRange(where, `an integer within ${bounds[0]}..${bounds[1]} (typecode '${typecode}')`, value);
  }
  return value;
}

/** What a stored element reads as. */
export function fromStored<T extends Typecode>(typecode: T, stored: number | bigint): ElementOfTypecode<T> {
  return (typecode === 'c' ? String.fromCharCode(stored as number) : stored) as ElementOfTypecode<T>;
}

/** Whether Atomics can read and write elements of this typecode whole. */
export function isAtomic(typecode: Typecode): boolean {
  return typecode !== 'f' && typecode !== 'd';
}
