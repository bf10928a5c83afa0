// Argument checks shared by every public entry point. Each failure names the call, the
// argument, what was expected and what was received, and carries Node's error codes.

/** Attaches Node's `code` to a standard error. */
function withCode<E extends Error>(error: E, code: string): E {
  Object.defineProperty(error, 'code', { value: code, enumerable: true, configurable: true, writable: true });
  return error;
}

/** A short, readable rendering of a received value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object') return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `an instance of ${name}` : 'an object';
}

export function invalidType(where: string, expected: string, received: unknown): TypeError {
  return withCode(
    new TypeError(`${where} must be ${expected}, received ${describeValue(received)}.`),
    'ERR_INVALID_ARG_TYPE',
  );
}

export function invalidValue(where: string, expected: string, received: unknown, hint = ''): TypeError {
  const suffix = hint ? ` ${hint}` : '';
  return withCode(
    new TypeError(`${where} must be ${expected}, received ${describeValue(received)}.${suffix}`),
    'ERR_INVALID_ARG_VALUE',
  );
}

export function outOfRange(where: string, expected: string, received: unknown, hint = ''): RangeError {
  const suffix = hint ? ` ${hint}` : '';
  return withCode(
    new RangeError(`${where} must be ${expected}, received ${describeValue(received)}.${suffix}`),
    'ERR_OUT_OF_RANGE',
  );
}

/** An integer >= min, or undefined/null when optional. */
export function checkInteger(where: string, value: unknown, min: number, hint = ''): number {
  if (typeof value !== 'number') throw invalidType(where, `an integer >= ${min}`, value);
  if (!Number.isInteger(value) || value < min) throw outOfRange(where, `an integer >= ${min}`, value, hint);
  return value;
}

/**
 * The longest wait a timer can measure: setTimeout fires at once (with a warning) beyond
 * 2**31 - 1 ms (about 24.8 days), and a wait that fires at once in a loop spins a core.
 */
export const LONGEST_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * A timeout in milliseconds: undefined/null means "wait forever". Every public timeout passes
 * here, so this is where one that no timer can measure (over LONGEST_TIMEOUT_MS, Infinity)
 * becomes "wait forever" too, and the waits below never see it.
 */
export function checkTimeout(where: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value)) throw invalidType(where, 'a number of milliseconds', value);
  if (value < 0) throw outOfRange(where, 'a number of milliseconds >= 0', value);
  return value > LONGEST_TIMEOUT_MS ? undefined : value;
}

export function checkFunction(where: string, value: unknown): void {
  if (typeof value !== 'function') throw invalidType(where, 'a function', value);
}

export function checkOptionsObject(where: string, value: unknown): void {
  if (value !== undefined && value !== null && (typeof value !== 'object' || Array.isArray(value))) {
    throw invalidType(where, 'an options object', value);
  }
}

/** Permission bits for a created file or IPC object (0o600 when undefined/null, owner-only as SPEC §9 says). */
export function checkMode(where: string, value: unknown): number {
  if (value === undefined || value === null) return 0o600;
  if (typeof value !== 'number') throw invalidType(where, 'permission bits such as 0o600', value);
  if (!Number.isInteger(value) || value < 0 || value > 0o777) throw outOfRange(where, 'permission bits from 0 to 0o777', value);
  return value;
}
