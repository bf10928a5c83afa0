// ftok: the System V key of a file and a project id, computed by libc's own ftok, so C and Python
// programs that call ftok on the same file get the same key and reach the same objects.

import { invalidType, outOfRange } from '../base/validate.js';
import { requireNative } from '../native/loader.js';

/**
 * The key of `path` (which must exist: its inode and device make the key) and `projectId`
 * (1..255; libc uses its low 8 bits only, so larger ids would collide, and 0 is unspecified by
 * POSIX). The key is a signed key_t, the number C and Python's `sysv_ipc.ftok` return.
 *
 * @example
 * const key = ftok('/etc/hostname', 1); // the key a C program gets from ftok("/etc/hostname", 1)
 */
export function ftok(path: string, projectId: number): number {
  const native = requireNative('ftok');
  if (typeof path !== 'string') throw invalidType('ftok: "path"', 'a path string', path);
  if (path === '' || path.includes('\0')) throw invalidType('ftok: "path"', 'a non-empty path without NUL characters', path);
  if (typeof projectId !== 'number') throw invalidType('ftok: "projectId"', 'an integer from 1 to 255', projectId);
  if (!Number.isInteger(projectId) || projectId < 1 || projectId > 255) {
    throw outOfRange('ftok: "projectId"', 'an integer from 1 to 255', projectId, 'libc keeps only its low 8 bits, and 0 is left unspecified by POSIX.');
  }
  try {
    return native.ftok(path, projectId);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'ENOENT') throw error;
    const missing = new Error(`ftok: "${path}" does not exist; a key is made from an existing file (its inode and device).`, { cause: error });
    Object.defineProperty(missing, 'code', { value: code, enumerable: true });
    throw missing;
  }
}
