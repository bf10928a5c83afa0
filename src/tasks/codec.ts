// The codec for every value that crosses to another process or thread (SPEC §10): arguments,
// results, messages. Values are structured-cloned by the transport; this module only checks
// that they can be (naming where a bad one sits) and swaps the objects that travel as handles
// (errors, locks, queues, shared memory...) for tagged records, through one extension point:
// registerHandleType(). A value with no handle inside is passed through uncopied.
//
// The trust boundary (SPEC §10, §14) lives here too, in one check each way: handles travel
// only within one process tree. Sent to a peer (a socket Connection), a handle is refused like
// a function; received from a peer, a handle record is refused before anything is rebuilt from
// it. Only errors, which are plain data, cross to and from peers.


import { errorToRecord, recordToError } from './error-codec.js';
import { isPlainObject, propertyPath } from './plain-data.js';

/**
 * Where a value is going: a process of this tree needs bytes; a thread can share
 * SharedArrayBuffers; a peer outside the tree (over a socket) gets plain data only, no handles.
 */
export type Destination = 'process' | 'thread' | 'peer';

/** Who sent a value: a process or thread of this tree (trusted), or a peer outside it (a socket). */
export type Origin = 'tree' | 'peer';

/** An object that travels as a handle to the same underlying resource. */
export interface HandleType<T extends object> {
  /** Wire tag; unique. */
  readonly tag: string;
  matches(value: object): value is T;
  /** Returns structured-clonable data; may throw a TypeError when `destination` cannot take it. */
  encode(value: T, destination: Destination, where: string): unknown;
  decode(data: unknown): T;
  /** Plain data that may cross to and from peers outside the tree (errors); absent: tree only. */
  readonly crossesPeers?: boolean;
}

/** An encoded value, and whether it holds handles (the receiver decodes only then). */
export interface Encoded {
  readonly value: unknown;
  readonly hasHandles: boolean;
}

/** The key that marks a handle record; a value sent with it as a key is refused (forged). */
export const HANDLE_TAG = '\u0000multiproc.handle';
// biome-ignore lint/suspicious/noExplicitAny: heterogeneous registry of handle types
const handleTypes: HandleType<any>[] = [];
// biome-ignore lint/suspicious/noExplicitAny: heterogeneous registry of handle types
const handleTypesByTag = new Map<string, HandleType<any>>();

/** The extension point: objects of this type are sent as handles from now on. */
export function registerHandleType<T extends object>(type: HandleType<T>): void {
  if (handleTypesByTag.has(type.tag)) throw new Error(`codec: handle type "${type.tag}" is already registered`);
  handleTypes.unshift(type); // later, more specific types win over earlier ones (Error last)
  handleTypesByTag.set(type.tag, type);
}

function handleTypeOf(value: object): HandleType<object> | undefined {
  for (const type of handleTypes) if (type.matches(value)) return type;
  return undefined;
}

const isView = ArrayBuffer.isView;

/** Objects the structured-clone algorithm copies as they are. */
function isCloneableLeaf(value: object): boolean {
  return (
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof ArrayBuffer ||
    isView(value) ||
    value instanceof Boolean ||
    value instanceof Number ||
    value instanceof String ||
    value instanceof BigInt
  );
}

/** Why a value cannot be sent; turned into a TypeError once its path is known. */
class Unsendable {
  constructor(
    readonly what: string,
    readonly fix: string,
    readonly to = 'to another process or thread',
  ) {}
}

function codedTypeError(message: string): TypeError {
  const error = new TypeError(message);
  Object.defineProperty(error, 'code', { value: 'ERR_INVALID_ARG_VALUE', enumerable: true });
  return error;
}

function unsendableError(where: string, reason: Unsendable): TypeError {
  return codedTypeError(`${where}: ${reason.what} cannot be sent ${reason.to}. ${reason.fix}`);
}

const FUNCTION = new Unsendable(
  'functions',
  'Pass data instead, or pass the function itself as the task (a registered function or taskRef).',
);
const SYMBOL = new Unsendable('symbols', 'Send a string instead.');
const SHARED_BUFFER = new Unsendable(
  'a SharedArrayBuffer',
  'It is shared only between threads of one process: use the thread context, or SharedMemory / SharedArray to share memory with a process.',
);

const FORGED_RECORD = new Unsendable(
  `an object with the key ${JSON.stringify(HANDLE_TAG)}`,
  'That key marks multiproc\'s own handle records: a received record is data, never re-sent as a handle. Rename the key.',
);

/** Why a handle of this type cannot go to `destination`, or null. */
function handleReason(type: HandleType<object>, value: object, destination: Destination): Unsendable | null {
  if (destination !== 'peer' || type.crossesPeers) return null;
  return new Unsendable(
    `a ${value.constructor?.name?.replace(/^bound /, '') || type.tag} (a handle to a resource of this process tree)`,
    'Handles travel only within one process tree (Pipe, Queue, a Process\'s or a pool\'s arguments); send plain data instead.',
    'over a socket Connection (Listener/Client) to a peer outside this process tree',
  );
}

/** Why this one value (not its contents) cannot be sent, or null. */
function unsendableReason(value: unknown, destination: Destination): Unsendable | null {
  if (typeof value === 'function') return FUNCTION;
  if (typeof value === 'symbol') return SYMBOL;
  if (typeof value !== 'object' || value === null) return null;
  if (value instanceof SharedArrayBuffer) return destination === 'thread' ? null : SHARED_BUFFER;
  if (isPlainObject(value)) return Object.hasOwn(value, HANDLE_TAG) ? FORGED_RECORD : null;
  if (Array.isArray(value) || value instanceof Map || value instanceof Set || isCloneableLeaf(value)) return null;
  const type = handleTypeOf(value);
  if (type) return handleReason(type, value, destination);
  const name = value.constructor?.name ?? 'unknown';
  return new Unsendable(
    `an instance of class ${name}`,
    'Its prototype would be lost: send a plain object (or its fields) and rebuild the instance on the other side.',
  );
}

/**
 * The fast pass: checks a value can be sent, without building any path; returns true when it
 * holds handles that need rewriting. Throws an Unsendable, which the slow pass locates.
 */
function check(value: unknown, destination: Destination, seen: Set<object>): boolean {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'function' || typeof value === 'symbol') throw unsendableReason(value, destination);
    return false;
  }
  if (seen.has(value)) return false;
  seen.add(value);
  if (Array.isArray(value)) {
    let hasHandles = false;
    for (let index = 0; index < value.length; index++) {
      const item = value[index];
      if ((typeof item === 'object' && item !== null) || typeof item === 'function' || typeof item === 'symbol') {
        if (check(item, destination, seen)) hasHandles = true;
      }
    }
    return hasHandles;
  }
  if (isPlainObject(value)) {
    let hasHandles = false;
    for (const key of Object.keys(value)) {
      if (key === HANDLE_TAG) throw FORGED_RECORD;
      if (check((value as Record<string, unknown>)[key], destination, seen)) hasHandles = true;
    }
    return hasHandles;
  }
  if (value instanceof Map || value instanceof Set) {
    let hasHandles = false;
    for (const entry of value) if (check(entry, destination, seen)) hasHandles = true;
    return hasHandles;
  }
  const type = handleTypeOf(value);
  const reason = type ? handleReason(type, value, destination) : unsendableReason(value, destination);
  if (reason) throw reason;
  return type !== undefined;
}

/** The slow pass, run only after a failure: finds where the unsendable part sits. */
function locate(value: unknown, where: string, destination: Destination, seen: Set<object>): string | null {
  if (unsendableReason(value, destination)) return where;
  if (typeof value !== 'object' || value === null || seen.has(value)) return null;
  seen.add(value);
  const children: [string, unknown][] = [];
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) children.push([`${where}[${index}]`, value[index]]);
  } else if (value instanceof Map) {
    let index = 0;
    for (const [key, item] of value) {
      children.push([`${where}<key ${index}>`, key], [`${where}<value ${index}>`, item]);
      index++;
    }
  } else if (value instanceof Set) {
    let index = 0;
    for (const item of value) children.push([`${where}<item ${index++}>`, item]);
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      children.push([propertyPath(where, key), item]);
    }
  }
  for (const [path, item] of children) {
    const found = locate(item, path, destination, seen);
    if (found) return found;
  }
  return null;
}

/** Copies the value, replacing handle objects by tagged records. `memo` keeps cycles intact. */
function rewrite(value: unknown, destination: Destination, where: string, memo: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const known = memo.get(value);
  if (known !== undefined) return known;
  const type = handleTypeOf(value);
  if (type) {
    const record = { [HANDLE_TAG]: type.tag, data: type.encode(value, destination, where) };
    memo.set(value, record);
    return record;
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    memo.set(value, copy);
    for (let index = 0; index < value.length; index++) {
      copy[index] = rewrite(value[index], destination, `${where}[${index}]`, memo);
    }
    return copy;
  }
  if (value instanceof Map) {
    const copy = new Map();
    memo.set(value, copy);
    for (const [key, item] of value) {
      copy.set(rewrite(key, destination, where, memo), rewrite(item, destination, where, memo));
    }
    return copy;
  }
  if (value instanceof Set) {
    const copy = new Set();
    memo.set(value, copy);
    for (const item of value) copy.add(rewrite(item, destination, where, memo));
    return copy;
  }
  if (!isPlainObject(value)) return value; // a cloneable leaf
  const copy: Record<string, unknown> = {};
  memo.set(value, copy);
  for (const [key, item] of Object.entries(value)) copy[key] = rewrite(item, destination, `${where}.${key}`, memo);
  return copy;
}

/**
 * Prepares a value to be sent. Throws a TypeError naming where an unsendable part sits
 * (`args[1].callback: functions cannot be sent ...`).
 */
export function encodeValue(value: unknown, where: string, destination: Destination): Encoded {
  if (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol') {
    return { value, hasHandles: false };
  }
  let hasHandles: boolean;
  try {
    hasHandles = check(value, destination, new Set());
  } catch (reason) {
    if (!(reason instanceof Unsendable)) throw reason;
    throw unsendableError(locate(value, where, destination, new Set()) ?? where, reason);
  }
  return hasHandles ? { value: rewrite(value, destination, where, new Map()), hasHandles } : { value, hasHandles };
}

/**
 * Prepares a list of items sent together (a chunk of a map's input); an unsendable item is
 * named by its own position: `where(index)` gives the path of item `index`.
 */
export function encodeItems(items: unknown[], where: (index: number) => string, destination: Destination): Encoded {
  let hasHandles: boolean;
  try {
    hasHandles = check(items, destination, new Set());
  } catch (reason) {
    if (!(reason instanceof Unsendable)) throw reason;
    const seen = new Set<object>();
    for (let index = 0; index < items.length; index++) {
      const found = locate(items[index], where(index), destination, seen);
      if (found) throw unsendableError(found, reason);
    }
    throw unsendableError(where(0), reason);
  }
  return hasHandles ? { value: rewrite(items, destination, where(0), new Map()), hasHandles } : { value: items, hasHandles };
}

/**
 * Restores a received value: tagged records become their objects again. From a peer, a record
 * of a handle is refused first (a TypeError naming where it sits, `where` being the root's
 * path), before anything is rebuilt: nothing a peer sends can make a lock, run a Barrier's
 * action or map memory.
 */
export function decodeValue(value: unknown, hasHandles: boolean, origin: Origin = 'tree', where = 'value'): unknown {
  if (origin === 'peer') refusePeerHandles(value, where);
  return hasHandles ? restore(value, new Map()) : value;
}

/** A handle record found where a peer's value may hold none: its tag, and its path (built on the way out). */
interface FoundRecord {
  readonly tag: string;
  path: string;
}

function refusePeerHandles(value: unknown, where: string): void {
  if (typeof value !== 'object' || value === null) return;
  const found = findPeerHandle(value, new Set());
  if (!found) return;
  throw codedTypeError(
    `${where}${found.path}: a handle record (${JSON.stringify(found.tag)}) arrived from a peer outside this process tree and was refused; nothing was rebuilt from it. Handles travel only within one process tree; a socket Connection carries plain data. The connection stays usable.`,
  );
}

/** The first record, in `value`, of a handle that may not come from a peer; null when there is none. */
function findPeerHandle(value: object, seen: Set<object>): FoundRecord | null {
  if (seen.has(value)) return null;
  seen.add(value);
  const children: Iterable<[string | (() => string), unknown]> = childrenOf(value);
  for (const [key, item] of children) {
    if (typeof item !== 'object' || item === null) continue;
    const found = findPeerHandle(item, seen);
    if (found) {
      found.path = `${typeof key === 'function' ? key() : key}${found.path}`;
      return found;
    }
  }
  if (!isPlainObject(value) || !Object.hasOwn(value, HANDLE_TAG)) return null;
  const tag = (value as Record<string, unknown>)[HANDLE_TAG];
  if (typeof tag === 'string' && handleTypesByTag.get(tag)?.crossesPeers) return null;
  return { tag: String(tag), path: '' };
}

/** The entries of a container, keyed by their path step (computed only when needed). */
function* childrenOf(value: object): Generator<[string | (() => string), unknown]> {
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) yield [() => `[${index}]`, value[index]];
  } else if (value instanceof Map) {
    let index = 0;
    for (const [key, item] of value) {
      const at = index++;
      yield [() => `<key ${at}>`, key];
      yield [() => `<value ${at}>`, item];
    }
  } else if (value instanceof Set) {
    let index = 0;
    for (const item of value) {
      const at = index++;
      yield [() => `<item ${at}>`, item];
    }
  } else if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      yield [() => propertyPath('', key), (value as Record<string, unknown>)[key]];
    }
  }
}

function restore(value: unknown, memo: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (memo.has(value)) return memo.get(value);
  if (Array.isArray(value)) {
    memo.set(value, value);
    for (let index = 0; index < value.length; index++) value[index] = restore(value[index], memo);
    return value;
  }
  if (value instanceof Map) {
    const entries = [...value];
    memo.set(value, value);
    value.clear();
    for (const [key, item] of entries) value.set(restore(key, memo), restore(item, memo));
    return value;
  }
  if (value instanceof Set) {
    const items = [...value];
    memo.set(value, value);
    value.clear();
    for (const item of items) value.add(restore(item, memo));
    return value;
  }
  if (!isPlainObject(value)) return value;
  const record = value as Record<string, unknown>;
  const tag = record[HANDLE_TAG];
  if (typeof tag === 'string') {
    const type = handleTypesByTag.get(tag);
    if (!type) throw codedTypeError(`codec: received a handle of unknown type ${JSON.stringify(tag)}; is multiproc the same version on both sides?`);
    const restored = type.decode(restore(record.data, memo));
    memo.set(value, restored);
    return restored;
  }
  memo.set(value, value);
  for (const key of Object.keys(record)) record[key] = restore(record[key], memo);
  return value;
}



// Errors are the first handle type: they keep their class and properties across, which
// structured clone alone does not promise.
registerHandleType<Error>({
  tag: 'error',
  matches: (value): value is Error => value instanceof Error,
  encode: (error) => errorToRecord(error),
  decode: (data) => recordToError(data),
  crossesPeers: true,
});
