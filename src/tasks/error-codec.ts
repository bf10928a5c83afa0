// Errors crossing from a child. As data (an Error inside a result) they come back as the same
// class with the child's stack; thrown by a task they are re-thrown in the parent as Python
// does: same class, name and message, with the child's stack kept in a RemoteError `cause`.

import { errorClasses, RemoteError } from '../errors.js';

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
  if (cause instanceof Error && depth < 8) causeRecord = errorToRecord(cause, depth + 1);
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
  return cause !== null && typeof cause === 'object' ? recordToError(cause) : cause;
}

/** An error received as data: the same class, with the child's own stack. */
export function recordToError(record: ErrorRecord): Error {
  const options = record.cause !== undefined ? { cause: causeOf(record) } : undefined;
  const error = construct(record, options);
  if (record.stack !== undefined) error.stack = record.stack;
  return error;
}

/** An error thrown by a task, to re-throw in the parent (Python's RemoteTraceback as `cause`). */
export function remoteTaskError(record: ErrorRecord): Error {
  const remoteOptions = record.cause !== undefined ? { cause: causeOf(record) } : undefined;
  const remote = new RemoteError(`\n"""\n${record.stack ?? `${record.name}: ${record.message}`}\n"""`, remoteOptions);
  return construct(record, { cause: remote });
}
