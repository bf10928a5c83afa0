// `object[i]` for the array-like shared objects (SharedArray, RawArray, ShareableList), which are
// Python sequences: a Proxy sends integer keys, negative ones counting from the end, to the
// object's at()/setAt(), which check the range; other reads go to the object, its methods bound
// to it (private fields cannot be reached through a proxy). A write that is neither an index nor
// one of the object's own settable properties is refused: in JS `array[-1] = 5` or
// `array.total = 5` would create a property in this process only, that no other process sees.
// Reading a name the object lacks gives undefined as in JS, not Python's AttributeError: `await`,
// util.inspect and assertion libraries probe objects for `then` and other optional names.

import { invalidType, invalidValue, outOfRange } from '../base/validate.js';

export interface Indexed<T> {
  readonly length: number;
  at(index: number): T;
  setAt(index: number, value: T): void;
}

/** A property key that is an integer as JS writes it: `array[-1]` arrives as the key "-1". */
const INTEGER_KEY = /^-?(0|[1-9]\d*)$/;

/**
 * The index a property key names: a number for an integer key, NaN for another numeric key
 * (`array[1.5]`, `array[NaN]`: Python's "indices must be integers"), undefined for a name.
 */
function indexOfKey(property: string | symbol): number | undefined {
  if (typeof property !== 'string') return undefined;
  if (INTEGER_KEY.test(property)) return Number(property);
  return property !== '' && String(Number(property)) === property ? Number.NaN : undefined;
}

function notAnIndex(target: object, property: string): TypeError {
  return invalidType(`${target.constructor.name}[index]`, 'an integer (negative ones count from the end)', Number(property));
}

/**
 * The position `index` stands for in the `length` items of `sequence`, as Python reads
 * `seq[index]`: a negative index counts from the end. A RangeError (Python's IndexError) names
 * the index and the length when it is outside. (The message is built only then: this runs on
 * every `array[i]`.)
 */
export function checkIndex(sequence: object, index: number, length: number): number {
  const at = index < 0 ? index + length : index;
  if (at >= 0 && at < length && Number.isInteger(at)) return at;
  const expected = length === 0 ? 'an index of an item, but the sequence is empty (length 0)' : `an integer within -${length}..${length - 1} (length ${length}; negative indexes count from the end)`;
  throw outOfRange(`${sequence.constructor.name}[index]`, expected, index);
}

/** Whether a write to `property` reaches the object itself: an own writable field or a setter. */
function isWritable(target: object, property: string | symbol): boolean {
  const own = Reflect.getOwnPropertyDescriptor(target, property);
  if (own) return own.set !== undefined || own.writable === true;
  for (let prototype = Reflect.getPrototypeOf(target); prototype; prototype = Reflect.getPrototypeOf(prototype)) {
    const inherited = Reflect.getOwnPropertyDescriptor(prototype, property);
    if (inherited) return inherited.set !== undefined;
  }
  return false;
}

function refusedWrite(target: object, property: string | symbol): TypeError {
  const name = target.constructor.name;
  const hint =
    property in target
      ? `"${String(property)}" is read-only.`
      : 'A property added here would exist in this process only, unseen by the others: write items with sequence[index] = value, and keep other data in an object of your own.';
  return invalidValue(`${name}: the property written`, `an index or a settable property of the ${name}`, String(property), hint);
}

/** The object, with its elements readable and writable as `object[i]` (Python's `seq[i]`). */
export function withIndexes<O extends Indexed<unknown>>(object: O): O {
  // One bound copy per method: binding on every read would allocate in every loop that calls one.
  const boundMethods = new Map<string | symbol, { method: unknown; bound: unknown }>();
  return new Proxy(object, {
    get(target, property) {
      const index = indexOfKey(property);
      if (index !== undefined) {
        if (Number.isNaN(index)) throw notAnIndex(target, property as string);
        return target.at(index);
      }
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function' || property === 'constructor') return value;
      const cached = boundMethods.get(property);
      if (cached?.method === value) return cached.bound;
      const bound = value.bind(target);
      boundMethods.set(property, { method: value, bound });
      return bound;
    },
    set(target, property, value) {
      const index = indexOfKey(property);
      if (index !== undefined) {
        if (Number.isNaN(index)) throw notAnIndex(target, property as string);
        target.setAt(index, value);
        return true;
      }
      if (!isWritable(target, property)) throw refusedWrite(target, property);
      return Reflect.set(target, property, value, target);
    },
    has(target, property) {
      const index = indexOfKey(property);
      if (index === undefined) return Reflect.has(target, property);
      return Number.isInteger(index) && index >= -target.length && index < target.length;
    },
    deleteProperty(target, property) {
      if (indexOfKey(property) === undefined) return Reflect.deleteProperty(target, property);
      throw invalidValue(`${target.constructor.name}: the property deleted`, 'a property other than an item', property, 'The length is fixed: write another value instead.');
    },
    defineProperty(target, property, descriptor) {
      if (indexOfKey(property) === undefined) return Reflect.defineProperty(target, property, descriptor);
      throw invalidValue(`${target.constructor.name}: the property defined`, 'a property other than an item', property, 'Write an item with sequence[index] = value.');
    },
  });
}
