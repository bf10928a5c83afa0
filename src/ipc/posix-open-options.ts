// The options that say how a POSIX IPC object is opened, as posix_ipc has them: O_CREAT
// (`create`), O_CREAT | O_EXCL (`create` + `exclusive`), the mode of a new object (owner-only by
// default), and for message queues the access (`read`, `write`). Checked in one place for
// PosixMessageQueue and PosixSemaphore.

import { checkInteger, invalidType, invalidValue, outOfRange } from '../base/validate.js';

/** How an object is to be created, if at all. */
export interface Creation {
  readonly create: boolean;
  readonly exclusive: boolean;
  readonly mode: number;
}

interface CreationOptions {
  create?: boolean;
  exclusive?: boolean;
  mode?: number;
}

function checkBoolean(where: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidType(where, 'a boolean', value);
  return value;
}

/**
 * `create`, `exclusive` and `mode` of `options` given to `where`; `creationOnly` names the
 * options that size or fill a new object, refused without `create` (they would be ignored).
 */
export function checkCreation<O extends CreationOptions>(where: string, options: O, creationOnly: readonly (keyof O & string)[]): Creation {
  const create = checkBoolean(`${where}: "create"`, options.create, false);
  const exclusive = checkBoolean(`${where}: "exclusive"`, options.exclusive, false);
  if (exclusive && !create) throw invalidValue(`${where}: "exclusive"`, 'used together with { create: true }', exclusive, 'Pass { create: true, exclusive: true } to create a new object or fail.');
  let mode = 0o600;
  if (options.mode !== undefined) {
    mode = checkInteger(`${where}: "mode"`, options.mode, 0);
    if (mode > 0o777) throw outOfRange(`${where}: "mode"`, 'permission bits from 0 to 0o777', options.mode);
  }
  for (const key of creationOnly) {
    if (options[key] !== undefined && !create) {
      throw invalidValue(`${where}: "${key}"`, 'given only with { create: true } (it applies to a new object)', options[key], 'Add create: true, or leave it out to open an existing one.');
    }
  }
  return { create, exclusive, mode };
}

/** `read` and `write` (both default true) and the matching O_RDONLY (0) / O_WRONLY (1) / O_RDWR (2). */
export function checkAccess(where: string, options: { read?: boolean; write?: boolean }): { read: boolean; write: boolean; access: 0 | 1 | 2 } {
  const read = checkBoolean(`${where}: "read"`, options.read, true);
  const write = checkBoolean(`${where}: "write"`, options.write, true);
  if (!read && !write) throw invalidValue(`${where}: "read"`, 'true when "write" is false', read, 'Open the object for reading, writing or both.');
  return { read, write, access: read && write ? 2 : read ? 0 : 1 };
}
