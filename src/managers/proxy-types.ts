// The types of proxies, for users who annotate the task functions they hand proxies to
// (`async function task(counts: DictProxy<string, number>)`). Types only: the objects are made
// by proxy.ts; what each method does is in managed-types.ts, which runs in the manager.

import type { Typecode } from '../shared/typecodes.js';

/** What a dict proxy's keys may be: kept distinct by type, as in Python (`1` and `'1'` are two keys). */
export type DictKey = string | number | bigint | boolean;

/**
 * What every proxy has besides the calls of its object. Disposing a proxy (`using`, or
 * `proxy[Symbol.dispose]()`) drops its reference to the object at once; the manager frees an
 * object once no proxy refers to it.
 */
export interface BaseProxy extends Disposable, AsyncDisposable {
  /** Names the type id, the object id and the manager's address. */
  toString(): string;
}

/**
 * What `BaseManager.create<T>()` returns for an object of type `T`: each method of `T` async, and
 * each property of `T` an async getter method (`await barrier.parties()`).
 */
export type Proxy<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : () => Promise<T[K]>;
} & BaseProxy;

/** The proxy of a manager's dict (Python's DictProxy). Every call goes to the manager process. */
export interface DictProxy<K extends DictKey = DictKey, V = unknown> extends BaseProxy {
  /** The value of `key`, or `undefined` when it is missing (Python's `dict.get`). */
  get(key: K): Promise<V | undefined>;
  get<D>(key: K, fallback: D): Promise<V | D>;
  set(key: K, value: V): Promise<void>;
  /** Removes `key`; `KeyError` when it is missing (Python's `del d[key]`). */
  delete(key: K): Promise<void>;
  has(key: K): Promise<boolean>;
  keys(): Promise<K[]>;
  values(): Promise<V[]>;
  items(): Promise<[K, V][]>;
  size(): Promise<number>;
  update(source: Map<K, V> | [K, V][] | { [key in K & string]?: V }): Promise<void>;
  /** Removes `key` and returns its value; `KeyError` when it is missing and no fallback is given. */
  pop(key: K): Promise<V>;
  pop<D>(key: K, fallback: D): Promise<V | D>;
  /** Removes and returns the last inserted `[key, value]` (LIFO, as Python's); `KeyError` when empty. */
  popitem(): Promise<[K, V]>;
  setDefault(key: K, value: V): Promise<V>;
  clear(): Promise<void>;
  /** A copy of the contents, as a plain `Map` (not a second managed dict). */
  copy(): Promise<Map<K, V>>;
}

/** Python's `list.sort` keyword arguments that can travel: a `key` function cannot. */
export interface SortOptions {
  /** Sorts in descending order; equal items keep their order. @default false */
  reverse?: boolean;
}

/** What list and array proxies share: Python's sequence reads, with its indexes. */
interface SequenceProxy<T> extends BaseProxy, AsyncIterable<T> {
  /** Item `index`; negative counts from the end; out of range is a `RangeError` (Python's IndexError). */
  get(index: number): Promise<T>;
  /** Replaces item `index` (negative counts from the end); out of range is a `RangeError`. */
  set(index: number, value: T): Promise<void>;
  length(): Promise<number>;
  /** Items `start` to `end` (exclusive; negatives count from the end), as a plain array. */
  slice(start?: number, end?: number): Promise<T[]>;
  toArray(): Promise<T[]>;
  /** The position of the first item equal to `value`; `RangeError` when there is none. */
  index(value: T): Promise<number>;
  count(value: T): Promise<number>;
  /** Sorts in the manager: numbers with numbers, strings with strings (mixed kinds are a `TypeError`). */
  sort(options?: SortOptions): Promise<void>;
  reverse(): Promise<void>;
}

/** The proxy of a manager's list (Python's ListProxy); `for await` reads its items. */
export interface ListProxy<T = unknown> extends SequenceProxy<T> {
  append(value: T): Promise<void>;
  extend(values: readonly T[]): Promise<void>;
  /** Inserts before `index`; an index past either end inserts at that end, as Python's. */
  insert(index: number, value: T): Promise<void>;
  /** Removes and returns item `index` (the last by default); `RangeError` when out of range or empty. */
  pop(index?: number): Promise<T>;
  /** Removes the first item equal to `value`; `RangeError` when there is none. */
  remove(value: T): Promise<void>;
  clear(): Promise<void>;
  /** A copy of the items, as a plain array (not a second managed list). */
  copy(): Promise<T[]>;
}

/** The proxy of a manager's Array: a list of fixed length whose items are numbers (bigints for `q Q l L`). */
export interface ArrayProxy<T extends number | bigint = number> extends SequenceProxy<T> {
  typecode(): Promise<Typecode>;
}

/** The proxy of a manager's Namespace: named attributes, each read and written by a call. */
export interface NamespaceProxy<T extends Record<string, unknown> = Record<string, unknown>> extends BaseProxy {
  /** The attribute `name`; `KeyError` when it was never set. */
  get<N extends keyof T & string>(name: N): Promise<T[N]>;
  set<N extends keyof T & string>(name: N, value: T[N]): Promise<void>;
  toObject(): Promise<Partial<T>>;
}

/** The proxy of a manager's Value. */
export interface ValueProxy<T = unknown> extends BaseProxy {
  get(): Promise<T>;
  set(value: T): Promise<void>;
  typecode(): Promise<Typecode>;
}
