// Small plain data as JSON text, when JSON carries it exactly as a structured clone (node:v8)
// would: most messages are a few fields of numbers and strings, and v8's serializer costs
// several microseconds to set up per message where JSON takes a fraction of one.
//
// JSON and structured clone agree on null, booleans, finite numbers other than -0, every string
// (JSON.stringify escapes lone surrogates, JSON.parse restores them), plain objects (own
// enumerable string keys in the same order, `__proto__` an own key on both sides, a null
// prototype coming back as Object's on both) and arrays without holes or extra keys. They differ
// on everything else — undefined, NaN, ±Infinity, -0, holes, repeated references and cycles,
// class instances, Date, Map, typed arrays, proxies (v8 refuses them), toJSON methods — so a
// value with any of those, or a large one, gets null and goes through v8 as before.

import { types } from 'node:util';
import { HANDLE_TAG } from './codec.js';

/** Past this many string code units and fields, v8's serializer is faster (measured): the value goes there. */
const MAX_UNITS = 2048;
/** A longer array goes through v8: checking it has no extra keys costs a string per element. */
const MAX_ARRAY_LENGTH = 256;
/** Deeper values go through v8 (which also bounds the recursion here). */
const MAX_DEPTH = 32;
/** Objects and arrays looked at; repeated ones are found by a linear search among them. */
const MAX_CONTAINERS = 32;

interface Scan {
  units: number;
  readonly containers: object[];
}

/**
 * JSON text that JSON.parse turns into what a structured clone of `value` would be, or null
 * when `value` is not small plain data (then it must go through v8). Reads every property once;
 * JSON.stringify reads them again, as v8's serializer does after the codec's checks.
 */
export function exactJson(value: object): string | null {
  const scan: Scan = { units: 0, containers: [] };
  return isExact(value, 0, scan) ? JSON.stringify(value) : null;
}

function isExact(value: unknown, depth: number, scan: Scan): boolean {
  switch (typeof value) {
    case 'string':
      scan.units += value.length;
      return scan.units <= MAX_UNITS;
    case 'number':
      return Number.isFinite(value) && (value !== 0 || 1 / value > 0);
    case 'boolean':
      return true;
    case 'object':
      return value === null || isExactContainer(value, depth, scan);
    default:
      return false; // undefined, bigint, symbol, function
  }
}

function isExactContainer(value: object, depth: number, scan: Scan): boolean {
  if (depth >= MAX_DEPTH || scan.containers.length >= MAX_CONTAINERS || scan.containers.includes(value)) return false;
  scan.containers.push(value);
  if (types.isProxy(value) || typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  const prototype = Object.getPrototypeOf(value);
  if (prototype === Array.prototype) return isExactArray(value as unknown[], depth, scan);
  if (prototype !== Object.prototype && prototype !== null) return false;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    // The codec's handle key is refused by the codec, which names where it sits.
    if (key === HANDLE_TAG) return false;
    scan.units += key.length + 1;
    if (scan.units > MAX_UNITS || !isExact(record[key], depth + 1, scan)) return false;
  }
  return true;
}

function isExactArray(array: unknown[], depth: number, scan: Scan): boolean {
  scan.units += array.length;
  if (array.length > MAX_ARRAY_LENGTH || scan.units > MAX_UNITS) return false;
  // Extra keys (array.name = ...) travel with v8, not with JSON; a hole reads as undefined, refused below.
  if (Object.keys(array).length !== array.length) return false;
  for (let index = 0; index < array.length; index++) if (!isExact(array[index], depth + 1, scan)) return false;
  return true;
}
