// The default start method (Python's set_start_method / get_start_method) and the backend
// behind each method name.

import { InvalidStateError } from '../base/errors.js';
import { invalidValue } from '../base/validate.js';
import type { Backend, ContextName } from './backend.js';
import { processBackend } from './process.js';
import { threadBackend } from './thread.js';

const backends: Record<ContextName, Backend> = { process: processBackend, thread: threadBackend };

let defaultMethod: ContextName | null = null;

export function isContextName(value: unknown): value is ContextName {
  return value === 'process' || value === 'thread';
}

export function checkContextName(where: string, value: unknown): ContextName {
  if (!isContextName(value)) throw invalidValue(where, '"process" or "thread"', value);
  return value;
}

export function backendFor(method: ContextName): Backend {
  return backends[method];
}

/** The start method that the root's Pool and Process use ('process' unless set). */
export function getStartMethod(): ContextName {
  return defaultMethod ?? 'process';
}

/**
 * Sets the default start method. As in Python, it may be set once; pass `{ force: true }` to
 * change it again.
 */
export function setStartMethod(method: ContextName, options: { force?: boolean } = {}): void {
  const checked = checkContextName('setStartMethod: "method"', method);
  if (defaultMethod !== null && !options.force && defaultMethod !== checked) {
    throw new InvalidStateError(
      `setStartMethod: the start method was already set to "${defaultMethod}". Pass { force: true } to change it.`,
    );
  }
  defaultMethod = checked;
}
