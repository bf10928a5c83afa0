// What the three System V classes share: keys (key_t, IPC_PRIVATE), the get-style options
// (create, exclusive, mode), the kernel's limits, errors that say which object, and the record
// each travels to a child as (its key, and its id for an IPC_PRIVATE object).

import { readFileSync } from 'node:fs';
import { InvalidStateError } from '../base/errors.js';
import { checkOptionsObject, describeValue, invalidType, outOfRange } from '../base/validate.js';
import { refusedRecord } from '../memory/arena.js';

/**
 * The key that names no object: getting it always creates a new one, reachable only by its id
 * (a child receives it by id). `sysv_ipc.IPC_PRIVATE` in Python.
 */
export const IPC_PRIVATE = 0;

const SMALLEST_KEY = -(2 ** 31);
const LARGEST_KEY = 2 ** 32 - 1;

/**
 * A key as key_t (a signed 32-bit int). Both readings of 32 bits are accepted: 0xdeadbeef and
 * -559038737 are one key, as in C; what the objects report is the signed one, as ftok returns it.
 */
export function checkKey(where: string, key: unknown): number {
  if (typeof key !== 'number') throw invalidType(`${where}: "key"`, 'an integer key (or IPC_PRIVATE)', key);
  if (!Number.isInteger(key) || key < SMALLEST_KEY || key > LARGEST_KEY) {
    throw outOfRange(`${where}: "key"`, `a 32-bit key, from ${SMALLEST_KEY} to 0x${LARGEST_KEY.toString(16)}`, key);
  }
  return key | 0;
}

/** A key as ipcs prints it: 0x0000abcd. */
export function keyText(key: number): string {
  return `0x${(key >>> 0).toString(16).padStart(8, '0')}`;
}

/** How to get a System V object by key: Python's sysv_ipc flags, as options. */
export interface SysVOpenOptions {
  /** Create the object when no object has this key (IPC_CREAT). @default false */
  create?: boolean;
  /** With create: fail with EEXIST when an object already has the key (IPC_EXCL; sysv_ipc's IPC_CREX). @default false */
  exclusive?: boolean;
  /** Permission bits of a created object. @default 0o600 */
  mode?: number;
}

export interface OpenFlags {
  readonly create: boolean;
  readonly exclusive: boolean;
  readonly mode: number;
}

export function checkOpenOptions(where: string, options: SysVOpenOptions | undefined | null): OpenFlags {
  checkOptionsObject(`${where}: "options"`, options);
  const { create = false, exclusive = false, mode = 0o600 } = options ?? {};
  if (typeof create !== 'boolean') throw invalidType(`${where}: "create"`, 'a boolean', create);
  if (typeof exclusive !== 'boolean') throw invalidType(`${where}: "exclusive"`, 'a boolean', exclusive);
  if (exclusive && !create) throw invalidType(`${where}: "exclusive"`, 'used with { create: true }', exclusive);
  if (typeof mode !== 'number') throw invalidType(`${where}: "mode"`, 'permission bits such as 0o600', mode);
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) throw outOfRange(`${where}: "mode"`, 'permission bits from 0 to 0o777', mode);
  return { create, exclusive, mode };
}

/**
 * A get that failed, said in the terms of the class: no object with that key (ENOENT), one
 * already there (EEXIST). The errno error stays as `cause`, its `code` is kept.
 */
export function openError(error: unknown, what: string, kind: string): unknown {
  const code = (error as { code?: unknown }).code;
  const fix =
    code === 'ENOENT'
      ? `no ${kind} has this key; create one with { create: true }.`
      : code === 'EEXIST'
        ? `a ${kind} with this key already exists; omit { exclusive: true } to open it.`
        : code === 'EACCES'
          ? `the ${kind} belongs to another user, or its mode does not let this user read and write it.`
          : '';
  if (!fix) return error;
  const explained = new Error(`${what}: ${fix}`, { cause: error });
  Object.defineProperty(explained, 'code', { value: code, enumerable: true });
  return explained;
}

/**
 * A call that failed because the object is gone (removed here, by another process or by ipcrm):
 * EIDRM when it went during the wait, EINVAL when it was gone before. Both read as one error,
 * code 'EIDRM', once `exists()` confirms it; any other error is returned as it is.
 */
export function goneError(error: unknown, what: string, kind: string, exists: () => void): unknown {
  const code = (error as { code?: unknown }).code;
  if (code !== 'EIDRM' && code !== 'EINVAL') return error;
  try {
    exists();
    return error;
  } catch {
    const gone = new Error(`${what}: the ${kind} was removed (by remove(), another process or ipcrm).`, { cause: error });
    Object.defineProperty(gone, 'code', { value: 'EIDRM', enumerable: true });
    return gone;
  }
}

/** A System V object that was removed: every call but remove() says so. */
export function removedError(what: string): InvalidStateError {
  return new InvalidStateError(`${what}: used after remove(); the kernel no longer has this object. Create a new one.`);
}

const limits = new Map<string, number | undefined>();

function readLimit(file: string, field: number): number | undefined {
  try {
    const value = Number(readFileSync(`/proc/sys/kernel/${file}`, 'latin1').trim().split(/\s+/)[field]);
    return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A kernel limit from /proc/sys/kernel (`msgmax`; `sem` holds four numbers: SEMMSL SEMMNS SEMOPM
 * SEMMNI), or undefined where unreadable. Read once, as checks run on every send and op; root may
 * raise a limit at any time, so a check that fails asks again with `fresh` before refusing.
 */
export function kernelLimit(file: string, field = 0, fresh = false): number | undefined {
  const name = `${file}:${field}`;
  if (fresh || !limits.has(name)) limits.set(name, readLimit(file, field));
  return limits.get(name);
}

/** Whether `value` is within a kernel limit (unknown limits are left to the kernel to enforce). */
export function withinKernelLimit(value: number, file: string, field = 0): boolean {
  const limit = kernelLimit(file, field);
  if (limit === undefined || value <= limit) return true;
  const fresh = kernelLimit(file, field, true);
  return fresh === undefined || value <= fresh;
}

/** What a System V object travels to a child as: its key, and its id (how IPC_PRIVATE is reached). */
export interface SysVRecord {
  readonly key: number;
  readonly id: number;
}

/** A received record, checked field by field (another process wrote it). */
export function checkSysVRecord(data: unknown, what: string): SysVRecord {
  const record = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const { key, id } = record;
  if (typeof key !== 'number' || !Number.isInteger(key) || key < SMALLEST_KEY || key > 2 ** 31 - 1) {
    throw refusedRecord(what, `"key" must be a 32-bit signed integer, received ${describeValue(key)}`);
  }
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 2 ** 31 - 1) {
    throw refusedRecord(what, `"id" must be an integer from 0 to 2**31-1, received ${describeValue(id)}`);
  }
  return { key, id };
}

/**
 * Runs an IPC_RMID; an object already removed (by another process, EINVAL or EIDRM) is no error,
 * so that remove() can be called twice and from every process that used the object.
 */
export function removeOnce(removeFromKernel: () => void): void {
  try {
    removeFromKernel();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'EINVAL' && code !== 'EIDRM') throw error;
  }
}
