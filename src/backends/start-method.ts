// The start methods (Python's get_start_method / set_start_method / get_all_start_methods) and
// the backend behind each name. Python's own names are accepted where a program ports them:
// 'spawn' and 'forkserver' start OS processes as 'process' does; 'fork' is refused, with why.

import { InvalidStateError } from '../base/errors.js';
import { invalidValue } from '../base/validate.js';
import type { Backend, ContextName } from './backend.js';
import { processBackend } from './process.js';
import { threadBackend } from './thread.js';

/**
 * A start method's name: `'process'` or `'thread'`, or Python's `'spawn'` and `'forkserver'`,
 * which mean `'process'` (warm spare children play forkserver's part).
 */
export type StartMethod = ContextName | 'spawn' | 'forkserver';

const backendNames: Readonly<Record<StartMethod, ContextName>> = {
  process: 'process',
  thread: 'thread',
  spawn: 'process',
  forkserver: 'process',
};

const backends: Record<ContextName, Backend> = { process: processBackend, thread: threadBackend };

/** Set by setStartMethod, or by the first read that needed it (as Python fixes its default). */
let fixedMethod: StartMethod | null = null;

const WHY_NOT_FORK =
  'Node cannot fork a running program: a Node process is multi-threaded (V8\'s platform threads, libuv\'s thread pool) ' +
  'and fork() copies only the calling thread, so the child would hold locks no thread will release. ' +
  'Use "process" (Python\'s "spawn": a new Node process that imports your task modules) or "thread" (worker threads of this process).';

/** Every start method this platform offers, the default first (Python's `get_all_start_methods`). */
export function getAllStartMethods(): StartMethod[] {
  return ['process', 'thread', 'spawn', 'forkserver'];
}

export function isStartMethod(value: unknown): value is StartMethod {
  return typeof value === 'string' && Object.hasOwn(backendNames, value);
}

/** A start method's name as given, or a TypeError naming the argument (and why, for 'fork'). */
export function checkStartMethod(where: string, value: unknown): StartMethod {
  if (isStartMethod(value)) return value;
  const expected = `one of ${getAllStartMethods().map((name) => `"${name}"`).join(', ')}`;
  throw invalidValue(where, expected, value, value === 'fork' ? WHY_NOT_FORK : '');
}

/** The backend a start method uses: 'process' or 'thread'. */
export function contextNameOf(method: StartMethod): ContextName {
  return backendNames[method];
}

/** Checks a start method's name and returns its backend's ('spawn' -> 'process'). */
export function checkContextName(where: string, value: unknown): ContextName {
  return contextNameOf(checkStartMethod(where, value));
}

export function backendFor(method: ContextName): Backend {
  return backends[method];
}

/**
 * The start method that the root's Pool and Process use, as it was set (`'process'` unless set).
 * As Python's `get_start_method()`, reading it fixes the default: setStartMethod then needs
 * `{ force: true }`. With `{ allowNone: true }`, returns null when nothing fixed it yet.
 *
 * @example
 * if (getStartMethod({ allowNone: true }) === null) setStartMethod('thread');
 */
export function getStartMethod(): StartMethod;
export function getStartMethod(options: { allowNone?: boolean }): StartMethod | null;
export function getStartMethod(options: { allowNone?: boolean } = {}): StartMethod | null {
  if (fixedMethod === null && options?.allowNone === true) return null;
  fixedMethod ??= 'process';
  return fixedMethod;
}

/**
 * Sets the default start method once, as Python's `set_start_method`: once set (or read by
 * getStartMethod()), setting it again throws InvalidStateError unless `{ force: true }`;
 * `setStartMethod(null, { force: true })` unsets it.
 *
 * @example
 * if (isMain(import.meta.url)) setStartMethod('thread');
 */
export function setStartMethod(method: StartMethod | null, options: { force?: boolean } = {}): void {
  const isForced = options?.force === true;
  if (fixedMethod !== null && !isForced) {
    throw new InvalidStateError(
      `setStartMethod: the start method was already set to "${fixedMethod}" (by setStartMethod, or fixed by a read of getStartMethod() or getContext()). ` +
        'Set it once, early in the main module, or pass { force: true } to change it.',
    );
  }
  if (method === null && isForced) {
    fixedMethod = null;
    return;
  }
  fixedMethod = checkStartMethod('setStartMethod: "method"', method);
}
