// Value, RawValue, SharedArray and RawArray as the package root exports them: the classes
// themselves, under types that take either a typecode (`Value<'i'>`, what `new Value('i', 0)`
// is) or the kind of element (`Value<number>`: any numeric typecode), so a function written for
// "any numeric shared value" takes every one without a cast. The classes are generic over the
// typecode and covariant in it (`out`): the alias turns `number` into the numeric typecodes.

import type { ElementKind, Typecode, TypecodeOf } from './typecodes.js';
import { RawArray as RawArrayClass, SharedArray as SharedArrayClass } from './shared-array.js';
import { RawValue as RawValueClass, Value as ValueClass } from './value.js';

export const Value = ValueClass;
/** One number (or bigint, or character) in shared memory: `Value<'i'>`, or `Value<number>` for any numeric one. */
export type Value<T extends ElementKind = Typecode> = ValueClass<TypecodeOf<T>>;

export const RawValue = RawValueClass;
/** A Value without a lock: `RawValue<'d'>`, or `RawValue<number>` for any numeric one. */
export type RawValue<T extends ElementKind = Typecode> = RawValueClass<TypecodeOf<T>>;

export const SharedArray = SharedArrayClass;
/** A fixed-length array in shared memory: `SharedArray<'d'>`, or `SharedArray<number>` for any numeric one. */
export type SharedArray<T extends ElementKind = Typecode> = SharedArrayClass<TypecodeOf<T>>;

export const RawArray = RawArrayClass;
/** A SharedArray without a lock: `RawArray<'i'>`, or `RawArray<number>` for any numeric one. */
export type RawArray<T extends ElementKind = Typecode> = RawArrayClass<TypecodeOf<T>>;
