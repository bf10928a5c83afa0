// The objects a manager process holds for SyncManager's type ids: Python's dict, list,
// Namespace, Value and Array, with the methods their proxies call (SPEC section 8).

import { isDeepStrictEqual } from 'node:util';
import { KeyError } from '../base/errors.js';
import { invalidType, outOfRange } from '../base/validate.js';

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

  insert(index: number, value: unknown): void {
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

  sort(): void {
    this.items.sort((a, b) => (a === b ? 0 : (a as number) < (b as number) ? -1 : 1));
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

  constructor(typecode: string, init: Iterable<number> | number) {
    super(typeof init === 'number' ? new Array<number>(init).fill(0) : init);
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
