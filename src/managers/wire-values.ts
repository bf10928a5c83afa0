// The one walk over a call's arguments and results that swaps what cannot travel as plain data
// (a proxy, a function) for its marker, and back. Containers are copied only where something
// changed, so a call without proxies or functions costs one pass and no copy.

import { isPlainObject, propertyPath } from '../tasks/plain-data.js';
import { outOfRange } from '../base/validate.js';

/** Deeper than this is refused: no peer's value may exhaust the stack of the one receiving it. */
const MAX_DEPTH = 200;

/** What a visitor returns to leave a node as it is (and look inside it). */
export const DESCEND: unique symbol = Symbol('descend');

export type Visitor = (node: object, where: string) => unknown;

/**
 * Returns `value` with every object or function for which `visit` answers something other
 * than DESCEND replaced by that answer, inside arrays, plain objects, Maps and Sets.
 */
export function replaceDeep(value: unknown, where: string | (() => string), visit: Visitor): unknown {
  if (!isVisited(value)) return value;
  // `where` is built only for a value to walk: most calls' arguments are a few numbers and strings.
  const at = typeof where === 'string' ? where : where();
  if (Array.isArray(value) && !value.some(isVisited)) {
    const replaced = visit(value, at);
    return replaced === DESCEND ? value : replaced;
  }
  return walk(value, at, visit, 0, new Set());
}

function walk(value: unknown, where: string, visit: Visitor, depth: number, path: Set<object>): unknown {
  if (typeof value !== 'function' && (typeof value !== 'object' || value === null)) return value;
  const replaced = visit(value, where);
  if (replaced !== DESCEND) return replaced;
  if (typeof value === 'function' || path.has(value)) return value; // a cycle: the transport keeps it
  if (depth >= MAX_DEPTH) throw outOfRange(where, `a value nested at most ${MAX_DEPTH} levels deep`, value);
  path.add(value);
  try {
    if (Array.isArray(value)) return walkArray(value, where, visit, depth, path);
    if (value instanceof Map) return walkMap(value, where, visit, depth, path);
    if (value instanceof Set) return walkSet(value, where, visit, depth, path);
    if (isPlainObject(value)) return walkObject(value as Record<string, unknown>, where, visit, depth, path);
    return value;
  } finally {
    path.delete(value);
  }
}

/** Whether `value` is an object or a function: something a visitor looks at (the rest passes as it is). */
function isVisited(value: unknown): value is object {
  return typeof value === 'function' || (typeof value === 'object' && value !== null);
}

function walkArray(value: unknown[], where: string, visit: Visitor, depth: number, path: Set<object>): unknown[] {
  let copy: unknown[] | null = null;
  for (let index = 0; index < value.length; index++) {
    if (!isVisited(value[index])) continue; // no path to build for a number or a string
    const item = walk(value[index], `${where}[${index}]`, visit, depth + 1, path);
    if (item !== value[index]) (copy ??= [...value])[index] = item;
  }
  return copy ?? value;
}

function walkObject(value: Record<string, unknown>, where: string, visit: Visitor, depth: number, path: Set<object>): Record<string, unknown> {
  let copy: Record<string, unknown> | null = null;
  for (const key of Object.keys(value)) {
    if (!isVisited(value[key])) continue;
    const item = walk(value[key], propertyPath(where, key), visit, depth + 1, path);
    if (item === value[key]) continue;
    copy ??= { ...value };
    Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true }); // even "__proto__"
  }
  return copy ?? value;
}

function walkMap(value: Map<unknown, unknown>, where: string, visit: Visitor, depth: number, path: Set<object>): Map<unknown, unknown> {
  const entries: [unknown, unknown][] = [];
  let isChanged = false;
  let index = 0;
  for (const [key, item] of value) {
    const newKey = walk(key, `${where}<key ${index}>`, visit, depth + 1, path);
    const newItem = walk(item, `${where}<value ${index}>`, visit, depth + 1, path);
    if (newKey !== key || newItem !== item) isChanged = true;
    entries.push([newKey, newItem]);
    index++;
  }
  return isChanged ? new Map(entries) : value;
}

function walkSet(value: Set<unknown>, where: string, visit: Visitor, depth: number, path: Set<object>): Set<unknown> {
  const items: unknown[] = [];
  let isChanged = false;
  let index = 0;
  for (const item of value) {
    const newItem = walk(item, `${where}<item ${index++}>`, visit, depth + 1, path);
    if (newItem !== item) isChanged = true;
    items.push(newItem);
  }
  return isChanged ? new Set(items) : value;
}
