// The path of a file that a mode of multiproc/ipc opens (a mapped file, a lock file): checked at
// the call, made absolute (it names the same file in a child whose working directory differs),
// and checked again when it arrives in a handle record from another process.

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { refusedRecord } from '../memory/arena.js';
import { describeValue, invalidType, invalidValue } from '../base/validate.js';

/** A path given by the caller (a string or a file: URL), made absolute. */
export function checkFilePath(where: string, value: unknown): string {
  if (value instanceof URL) {
    if (value.protocol !== 'file:') throw invalidValue(where, 'a path or a file: URL', value.href);
    return fileURLToPath(value);
  }
  if (typeof value !== 'string') throw invalidType(where, 'a path (a string or a file: URL)', value);
  if (value === '' || value.includes('\0')) throw invalidValue(where, 'a non-empty path without NUL characters', value);
  return resolve(value);
}

/** A path received in a handle record: an absolute path as checkFilePath makes, or the record is refused. */
export function receivedFilePath(what: string, value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.includes('\0') || value.length > 4096) {
    throw refusedRecord(what, `its path must be an absolute path, received ${describeValue(value)}`);
  }
  return value;
}
