// isMain: Python's `if __name__ == "__main__":`. True only for the entry module of the process
// the user started: never in a child or worker, where task modules are imported again.

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { invalidType } from '../base/validate.js';
import { isMultiprocChild } from '../base/identity.js';

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

let entryPath: string | null | undefined;

/** The entry script's real path, or null when there is none (REPL, -e). */
function entryScript(): string | null {
  if (entryPath === undefined) {
    const script = process.argv[1];
    entryPath = script ? realPath(script) : null;
  }
  return entryPath;
}

/**
 * True when `moduleUrl` (pass `import.meta.url`) is the entry module of the process the user
 * started; false in every child process and worker thread.
 *
 * @example
 * if (isMain(import.meta.url)) {
 *   await using pool = new Pool();
 *   console.log(await pool.map(square, [1, 2, 3]));
 * }
 */
export function isMain(moduleUrl: string): boolean {
  if (typeof moduleUrl !== 'string') throw invalidType('isMain: "moduleUrl"', 'import.meta.url (a string)', moduleUrl);
  if (isMultiprocChild() || !isMainThread || !moduleUrl.startsWith('file:')) return false;
  const entry = entryScript();
  if (entry === null) return false;
  const modulePath = realPath(fileURLToPath(moduleUrl));
  // `node script` may omit the extension for CommonJS-style entries; accept that spelling too.
  return modulePath === entry || modulePath.replace(/\.[cm]?[jt]sx?$/, '') === entry;
}
