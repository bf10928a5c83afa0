// Errors crossing from a child. As data (an Error inside a result) they come back as the same
// class with the child's stack; thrown by a task they are re-thrown in the parent as Python
// does: same class, name and message, with the child's stack kept in a RemoteError `cause`.

import { errorClasses, InvalidStateError, RemoteError } from '../base/errors.js';
import { isPlainObject } from './plain-data.js';

/** How many errors deep a `cause` chain travels; deeper causes are dropped (a peer may send any depth). */
export const MAX_CAUSE_DEPTH = 8;
/** The longest `name` kept: names pick a class, they are never long. */
const MAX_NAME_LENGTH = 256;

/** The wire form of an error. */
export interface ErrorRecord {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly cause?: ErrorRecord | string | number | boolean | null;
  /** Own enumerable properties whose values are primitives (`code`, `errno`, ...). */
  readonly props?: Record<string, string | number | boolean | null | bigint>;
}

type Primitive = string | number | boolean | null | bigint;

function isPrimitive(value: unknown): value is Primitive {
  const type = typeof value;
  return value === null || type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint';
}

function primitiveProps(error: object): Record<string, Primitive> | undefined {
  let props: Record<string, Primitive> | undefined;
  for (const key of Object.keys(error)) {
    const value = (error as Record<string, unknown>)[key];
    if (key !== 'cause' && isPrimitive(value)) (props ??= {})[key] = value;
  }
  const code = (error as { code?: unknown }).code; // often non-enumerable (Node's own errors)
  if (isPrimitive(code) && !props?.code) (props ??= {}).code = code;
  return props;
}

/** Turns anything thrown into its wire form (a thrown string becomes an Error's message). */
export function errorToRecord(thrown: unknown, depth = 0): ErrorRecord {
  if (!(thrown instanceof Error)) {
    return { name: 'Error', message: typeof thrown === 'string' ? thrown : safeString(thrown) };
  }
  const cause = thrown.cause;
  let causeRecord: ErrorRecord['cause'];
  if (cause instanceof Error && depth < MAX_CAUSE_DEPTH) causeRecord = errorToRecord(cause, depth + 1);
  else if (isPrimitive(cause) && typeof cause !== 'bigint') causeRecord = cause;
  return {
    name: thrown.name,
    message: thrown.message,
    stack: thrown.stack,
    ...(causeRecord !== undefined && { cause: causeRecord }),
    ...(primitiveProps(thrown) && { props: primitiveProps(thrown) }),
  };
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function construct(record: ErrorRecord, options?: ErrorOptions): Error {
  const ErrorClass = errorClasses.get(record.name) ?? Error;
  const error = new ErrorClass(record.message, options);
  if (error.name !== record.name) {
    Object.defineProperty(error, 'name', { value: record.name, writable: true, configurable: true });
  }
  for (const [key, value] of Object.entries(record.props ?? {})) {
    if (key === 'name' || key === 'message') continue;
    Object.defineProperty(error, key, { value, writable: true, configurable: true, enumerable: true });
  }
  return error;
}

function causeOf(record: ErrorRecord): unknown {
  const cause = record.cause;
  return cause !== null && typeof cause === 'object' ? checkedToError(cause) : cause;
}

function malformedRecord(where: string, what: string): InvalidStateError {
  return new InvalidStateError(`${where}: a malformed error record arrived (${what}) and was dropped; the sender wrote something that is not a multiproc error.`);
}

function isRecordObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && isPlainObject(value);
}

/**
 * Checks that received data has an error record's shape (strings where strings belong,
 * primitive props only) and returns a clean copy, its `cause` chain cut at MAX_CAUSE_DEPTH.
 * Throws InvalidStateError naming `where` otherwise.
 */
export function checkErrorRecord(data: unknown, where: string, depth = 0): ErrorRecord {
  if (!isRecordObject(data)) return fail(where, 'not an object');
  const { name, message, stack, cause, props } = data;
  if (typeof name !== 'string' || name.length > MAX_NAME_LENGTH) return fail(where, '"name" is not a short string');
  if (typeof message !== 'string') return fail(where, '"message" is not a string');
  if (stack !== undefined && typeof stack !== 'string') return fail(where, '"stack" is not a string');
  let checkedCause: ErrorRecord['cause'];
  if (cause === undefined || cause === null || typeof cause === 'string' || typeof cause === 'number' || typeof cause === 'boolean') checkedCause = cause;
  else if (depth + 1 < MAX_CAUSE_DEPTH) checkedCause = checkErrorRecord(cause, where, depth + 1);
  else if (!isRecordObject(cause)) return fail(where, '"cause" is neither an error record nor a primitive');
  return {
    name,
    message,
    ...(stack !== undefined && { stack }),
    ...(checkedCause !== undefined && { cause: checkedCause }),
    ...(props !== undefined && { props: checkProps(props, where) }),
  };
}

function checkProps(props: unknown, where: string): Record<string, Primitive> {
  if (!isRecordObject(props)) return fail(where, '"props" is not an object');
  const checked: Record<string, Primitive> = {};
  for (const key of Object.keys(props)) {
    const value = props[key];
    if (!isPrimitive(value)) return fail(where, `"props.${key}" is not a primitive`);
    if (key !== '__proto__') checked[key] = value;
  }
  return checked;
}

function fail(where: string, what: string): never {
  throw malformedRecord(where, what);
}

/** An error received as data: the same class, with the child's own stack. The record is checked first. */
export function recordToError(record: unknown): Error {
  return checkedToError(checkErrorRecord(record, 'a received error'));
}

function checkedToError(record: ErrorRecord): Error {
  const options = record.cause !== undefined ? { cause: causeOf(record) } : undefined;
  const error = construct(record, options);
  if (record.stack !== undefined) error.stack = record.stack;
  return error;
}

/** An error thrown by a task, to re-throw in the parent (Python's RemoteTraceback as `cause`). */
export function remoteTaskError(received: unknown): Error {
  const record = checkErrorRecord(received, 'a task\'s error');
  const remoteOptions = record.cause !== undefined ? { cause: causeOf(record) } : undefined;
  const remote = new RemoteError(`\n"""\n${record.stack ?? `${record.name}: ${record.message}`}\n"""`, remoteOptions);
  return construct(record, { cause: remote });
}
