// What a client may call on each object a manager holds (Python's `exposed`). Built-in type ids
// list their public API; anything else a manager method could reach (a pool's resolve(), a
// queue's toRecord(), a lock's sharedBlock) is not callable. Registered types expose their
// public methods and getters, and a plain object's own properties: never a name starting with
// "_", never Object's own members ("constructor", "__proto__", "then" is not a method either).

import { isPlainObject } from '../tasks/plain-data.js';

const LIST = ['get', 'set', 'append', 'extend', 'insert', 'pop', 'remove', 'index', 'count', 'length', 'slice', 'toArray', 'copy', 'clear', 'sort', 'reverse'];
const QUEUE = ['put', 'get', 'putNowait', 'getNowait', 'qsize', 'empty', 'full', 'maxsize'];
const LOCK = ['acquire', 'release'];

const BUILT_IN: Record<string, ReadonlySet<string>> = Object.fromEntries(
  Object.entries({
    dict: ['get', 'set', 'delete', 'has', 'keys', 'values', 'items', 'size', 'update', 'pop', 'setDefault', 'clear', 'copy', 'popitem'],
    list: LIST,
    Array: ['get', 'set', 'length', 'slice', 'toArray', 'index', 'count', 'sort', 'reverse', 'typecode'], // fixed length
    Namespace: ['get', 'set', 'toObject'],
    Value: ['get', 'set', 'typecode'],
    Queue: QUEUE,
    JoinableQueue: [...QUEUE, 'taskDone', 'join'],
    Lock: LOCK,
    RLock: LOCK,
    Semaphore: [...LOCK, 'getValue'],
    BoundedSemaphore: [...LOCK, 'getValue'],
    Condition: [...LOCK, 'wait', 'notify', 'notifyAll'],
    Event: ['isSet', 'set', 'clear', 'wait'],
    Barrier: ['wait', 'reset', 'abort', 'parties', 'nWaiting', 'broken'],
    Pool: ['map', 'starmap', 'apply', 'mapAsync', 'starmapAsync', 'applyAsync', 'imap', 'imapUnordered', 'close', 'terminate', 'join'],
    AsyncResult: ['get', 'wait', 'ready', 'successful'],
    ImapIterator: ['next'],
  }).map(([typeid, names]) => [typeid, new Set(names)]),
);

export function isBuiltInType(typeid: string): boolean {
  return Object.hasOwn(BUILT_IN, typeid);
}

/** A public member of a registered type's class (below Object.prototype), or an own property of a plain object. */
function isPublicMember(object: object, name: string): boolean {
  if (name.startsWith('_') || name === 'constructor' || name === 'then' || Object.hasOwn(Object.prototype, name)) return false;
  if (isPlainObject(object)) return Object.hasOwn(object, name);
  for (let prototype = Object.getPrototypeOf(object); prototype && prototype !== Object.prototype; prototype = Object.getPrototypeOf(prototype)) {
    if (Object.hasOwn(prototype, name)) return true;
  }
  return false;
}

/** Whether a client may call (or read) `name` of an object of type `typeid`. */
export function isExposed(typeid: string, object: object, name: string): boolean {
  const builtIn = BUILT_IN[typeid];
  return builtIn ? builtIn.has(name) : isPublicMember(object, name);
}
