// Which task references a receiver accepts from outside its process tree (SPEC §14): a manager
// client's, a manager Pool's, a Barrier record's, a redis job's. Only a function its module
// register()ed, in a `file:` module under the receiver's root (for a package task, the package's
// real folder) and not one of multiproc's own; never source text, `node:` builtins, `data:` or
// `http(s):` modules. The tree's own tasks (inline ones included) never pass through here.

import { realpathSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalidValue } from '../base/validate.js';
import type { TaskDescriptor } from './task-ref.js';

/**
 * multiproc's own modules (this file's folder's parent: dist/, or src/ under a TypeScript loader).
 * None is ever a task from outside the tree: the executor's batch helper registers itself and
 * resolves the task descriptor it is given as an argument, source text included, so a peer naming
 * it could have any source compiled (SPEC §14 allows peers to name modules, never to send source).
 */
const OWN_MODULES = realpathSync(fileURLToPath(new URL('../', import.meta.url)));

/** The root of this process: what task references from outside the tree must lie under. */
export function receiverRoot(): string {
  return realpathSync(process.cwd());
}

function isInside(folder: string, file: string): boolean {
  const inside = relative(folder, file);
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside);
}

function refused(where: string, shown: string, why: string, root: string): TypeError {
  return invalidValue(
    where,
    `a function its module register()ed, in a file: module under ${root} (${why})`,
    shown,
    'A task that comes from outside this process tree (a manager client, a Pool proxy, a Barrier record, a redis job) may only name such a function: ' +
      'export it from a module under that directory and register(import.meta.url, { fn }) it there.',
  );
}

/** The module's file, once it is known to be a `file:` module under `root`; throws otherwise. */
export function checkModuleUnderRoot(where: string, module: string, name: string, root: string): string {
  const shown = `${module}#${name}`;
  if (!module.startsWith('file:')) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(module)?.[1] ?? 'no';
    throw refused(where, shown, `${scheme}: modules are refused`, root);
  }
  let file: string;
  try {
    file = realpathSync(fileURLToPath(module));
  } catch {
    throw refused(where, shown, 'no such file here', root);
  }
  if (!isInside(root, file)) throw refused(where, shown, 'this file is outside the root', root);
  if (isInside(OWN_MODULES, file)) throw refused(where, shown, "multiproc's own modules are refused", root);
  return file;
}

/**
 * Checks a task descriptor received from outside the tree and marks it so that it resolves,
 * here or in a pool's workers, only to a registered function under `root`.
 */
export function untrustedTask(where: string, descriptor: unknown, root: string): TaskDescriptor & { kind: 'module' } {
  if (descriptor === null || typeof descriptor !== 'object') throw invalidValue(where, 'a task reference', descriptor);
  const { kind, module, name } = descriptor as Record<string, unknown>;
  if (kind === 'source') throw refused(where, 'an inline function (source text)', 'source text is never compiled from outside the tree', root);
  if (kind !== 'module' || typeof module !== 'string' || typeof name !== 'string' || name === '' || module.length > 4096 || name.length > 256) {
    throw invalidValue(where, 'a task reference (a module URL and a function name)', descriptor);
  }
  checkModuleUnderRoot(where, module, name, root);
  return { kind: 'module', module, name, registeredUnder: root };
}
