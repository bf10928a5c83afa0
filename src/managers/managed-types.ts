// The objects a manager process holds for SyncManager's type ids: Python's dict, list,
// Namespace, Value and Array, with the methods their proxies call (SPEC section 8).

import { isDeepStrictEqual } from 'node:util';
import { KeyError } from '../base/errors.js';
import { checkOptionsObject, invalidType, invalidValue, outOfRange } from '../base/validate.js';

type DictKey = string | number | bigint | boolean;

function checkKey(key: unknown): DictKey {
  const kind = typeof key;
  if (kind === 'string' || kind === 'number' || kind === 'bigint' || kind === 'boolean') return key as DictKey;
  throw invalidType('DictProxy: key', 'a string, number, bigint or boolean (kept distinct by type, as in Python)', key);
}

function entriesOf(source: unknown): Iterable<[unknown, unknown]> {
  if (source instanceof Map) return source;
  if (Array.isArray(source)) return source as [unknown, unknown][];
  if (source !== null && typeof source === 'object') return Object.entries(source);
  throw invalidType('DictProxy.update', 'a Map, an object or an array of [key, value] pairs', source);
}

/** Python's dict, keyed by primitives (1 and '1' are two keys). */
export class ManagedDict {
  readonly #map = new Map<DictKey, unknown>();

  constructor(init?: unknown) {
    if (init !== undefined && init !== null) this.update(init);
  }

  get(key: unknown, fallback?: unknown): unknown {
    const checked = checkKey(key);
    return this.#map.has(checked) ? this.#map.get(checked) : fallback;
  }

  set(key: unknown, value: unknown): void {
    this.#map.set(checkKey(key), value);
  }

  delete(key: unknown): void {
    if (!this.#map.delete(checkKey(key))) throw new KeyError(`DictProxy.delete: no key ${String(key)}.`);
  }

  has(key: unknown): boolean {
    return this.#map.has(checkKey(key));
  }

  keys(): DictKey[] {
    return [...this.#map.keys()];
  }

  values(): unknown[] {
    return [...this.#map.values()];
  }

  items(): [DictKey, unknown][] {
    return [...this.#map.entries()];
  }

  size(): number {
    return this.#map.size;
  }

  update(source: unknown): void {
    for (const [key, value] of entriesOf(source)) this.set(key, value);
  }

  pop(key: unknown, ...fallback: unknown[]): unknown {
    const checked = checkKey(key);
    if (this.#map.has(checked)) {
      const value = this.#map.get(checked);
      this.#map.delete(checked);
      return value;
    }
    if (fallback.length > 0) return fallback[0];
    throw new KeyError(`DictProxy.pop: no key ${String(key)} and no default.`);
  }

  setDefault(key: unknown, value?: unknown): unknown {
    const checked = checkKey(key);
    if (!this.#map.has(checked)) this.#map.set(checked, value);
    return this.#map.get(checked);
  }

  clear(): void {
    this.#map.clear();
  }

  copy(): Map<DictKey, unknown> {
    return new Map(this.#map);
  }

  /** Python's dict.popitem: removes and returns the last inserted [key, value] (LIFO). */
  popitem(): [DictKey, unknown] {
    let last: [DictKey, unknown] | undefined;
    for (const entry of this.#map) last = entry; // a Map keeps insertion order, as a dict does
    if (!last) throw new KeyError('DictProxy.popitem: the dictionary is empty.');
    this.#map.delete(last[0]);
    return last;
  }
}

function sortReverse(options: unknown): boolean {
  if (options === undefined || options === null) return false;
  checkOptionsObject('ListProxy.sort: "options"', options);
  const { reverse = false, ...rest } = options as { reverse?: unknown };
  if ('key' in rest) throw invalidValue('ListProxy.sort: "key"', 'no key function', rest.key, 'A function cannot travel to the manager: read the items with toArray() and sort them here, or store them pre-keyed.');
  if (typeof reverse !== 'boolean') throw invalidType('ListProxy.sort: "reverse"', 'a boolean', reverse);
  return reverse;
}

/** What Python's `<` orders: numbers (booleans and bigints among them) together, strings together, arrays item by item. */
function sortGroup(value: unknown): 'number' | 'string' | 'array' | null {
  const kind = typeof value;
  if (kind === 'number' || kind === 'bigint' || kind === 'boolean') return 'number';
  if (kind === 'string') return 'string';
  return Array.isArray(value) ? 'array' : null;
}

function compareItems(a: unknown, b: unknown): number {
  const group = sortGroup(a);
  if (group === null || group !== sortGroup(b)) {
    throw invalidType('ListProxy.sort: items', 'items that compare with each other (numbers, strings or arrays of them, one kind at a time)', group === null ? a : b);
  }
  if (group === 'array') {
    const [left, right] = [a as unknown[], b as unknown[]];
    for (let index = 0; index < Math.min(left.length, right.length); index++) {
      const order = compareItems(left[index], right[index]);
      if (order !== 0) return order;
    }
    return left.length - right.length;
  }
  const [left, right] = group === 'number' ? [toComparable(a), toComparable(b)] : [a as string, b as string];
  return left < right ? -1 : left > right ? 1 : 0;
}

function toComparable(value: unknown): number | bigint {
  return typeof value === 'boolean' ? Number(value) : (value as number | bigint);
}

/** Python's list; negative indexes count from the end. */
export class ManagedList {
  protected readonly items: unknown[];

  constructor(init?: Iterable<unknown> | null) {
    this.items = init === undefined || init === null ? [] : [...init];
  }

  protected indexOf(where: string, index: unknown): number {
    if (typeof index !== 'number' || !Number.isInteger(index)) throw invalidType(`${where}: index`, 'an integer', index);
    const position = index < 0 ? this.items.length + index : index;
    if (position < 0 || position >= this.items.length) throw outOfRange(`${where}: index`, `from ${-this.items.length} to ${this.items.length - 1}`, index);
    return position;
  }

  get(index: unknown): unknown {
    return this.items[this.indexOf('ListProxy.get', index)];
  }

  set(index: unknown, value: unknown): void {
    this.items[this.indexOf('ListProxy.set', index)] = value;
  }

  append(value: unknown): void {
    this.items.push(value);
  }

  extend(values: Iterable<unknown>): void {
    this.items.push(...values);
  }

  /** Python's list.insert: an index past either end inserts at that end, as Python clamps it. */
  insert(index: unknown, value: unknown): void {
    if (typeof index !== 'number' || !Number.isInteger(index)) throw invalidType('ListProxy.insert: index', 'an integer', index);
    const position = index < 0 ? Math.max(0, this.items.length + index) : Math.min(index, this.items.length);
    this.items.splice(position, 0, value);
  }

  pop(index = -1): unknown {
    return this.items.splice(this.indexOf('ListProxy.pop', index), 1)[0];
  }

  remove(value: unknown): void {
    this.items.splice(this.#find('ListProxy.remove', value), 1);
  }

  index(value: unknown): number {
    return this.#find('ListProxy.index', value);
  }

  count(value: unknown): number {
    return this.items.filter((item) => isDeepStrictEqual(item, value)).length;
  }

  length(): number {
    return this.items.length;
  }

  slice(start?: number, end?: number): unknown[] {
    return this.items.slice(start, end);
  }

  toArray(): unknown[] {
    return [...this.items];
  }

  /** A list copy, as Python's list.copy() through a proxy: a plain array, not a second managed list. */
  copy(): unknown[] {
    return [...this.items];
  }

  clear(): void {
    this.items.length = 0;
  }

  /**
   * Python's list.sort(reverse=...): stable, and `reverse` keeps equal items in their order (it
   * flips the comparison, not the result). No `key`: a function cannot travel to the manager.
   */
  sort(options?: unknown): void {
    const reverse = sortReverse(options);
    this.items.sort((a, b) => (reverse ? compareItems(b, a) : compareItems(a, b)));
  }

  reverse(): void {
    this.items.reverse();
  }

  #find(where: string, value: unknown): number {
    const found = this.items.findIndex((item) => isDeepStrictEqual(item, value));
    if (found < 0) throw outOfRange(`${where}: value`, 'a value in the list', value);
    return found;
  }
}

/** Python's manager Array: a list of fixed length whose items are numbers (typecode kept for show). */
export class ManagedArray extends ManagedList {
  readonly #typecode: string;

  constructor(typecode: string, init: Iterable<number | bigint> | number) {
    // Python's Array('q', 3) holds ints; here the 8-byte integer typecodes hold bigints, as SharedArray's do.
    const zero = 'lLqQ'.includes(typecode) ? 0n : 0;
    super(typeof init === 'number' ? new Array<number | bigint>(init).fill(zero) : init);
    this.#typecode = typecode;
  }

  typecode(): string {
    return this.#typecode;
  }

  override set(index: unknown, value: unknown): void {
    if (typeof value !== 'number' && typeof value !== 'bigint') throw invalidType('ArrayProxy.set: value', 'a number', value);
    super.set(index, value);
  }

  override append(_value: unknown): never {
    throw new TypeError('ArrayProxy: an Array has a fixed length; it cannot grow.');
  }
}

/** Python's Namespace: named attributes. */
export class ManagedNamespace {
  readonly #values = new Map<string, unknown>();

  constructor(init?: Record<string, unknown> | null) {
    for (const [name, value] of Object.entries(init ?? {})) this.#values.set(name, value);
  }

  get(name: string): unknown {
    if (!this.#values.has(name)) throw new KeyError(`NamespaceProxy.get: no attribute "${name}".`);
    return this.#values.get(name);
  }

  set(name: string, value: unknown): void {
    if (typeof name !== 'string') throw invalidType('NamespaceProxy.set: name', 'a string', name);
    this.#values.set(name, value);
  }

  toObject(): Record<string, unknown> {
    return Object.fromEntries(this.#values);
  }
}

/** Python's manager Value. */
export class ManagedValue {
  #value: unknown;
  readonly #typecode: string;

  constructor(typecode: string, value: unknown) {
    this.#typecode = typecode;
    this.#value = value;
  }

  get(): unknown {
    return this.#value;
  }

  set(value: unknown): void {
    this.#value = value;
  }

  typecode(): string {
    return this.#typecode;
  }
}
