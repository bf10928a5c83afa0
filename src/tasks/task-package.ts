// Task modules inside installed packages (SPEC §2, §14): a module under `node_modules/<name>` or
// `node_modules/@scope/<name>` is named across machines as the package's name plus its path inside
// the package, and a receiver finds that package as Node would from its root (the `node_modules`
// folders of the root and its parents), never anywhere else, and only in a package that depends on
// multiproc. The caller's side (packageOfModule) and the receiver's side (checkPackageName,
// checkPathInPackage, findPackageDirectory) live here together; both use checkTaskPackage.

import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalidValue } from '../base/validate.js';

/** A module as a package-relative name: `import(name + '/' + path)` on the machine that has it. */
export interface PackagePath {
  /** The package's name as installed (`lodash`, `@scope/tasks`): its folder under node_modules. */
  readonly name: string;
  /** The module's path inside the package, `/`-separated (`dist/tasks.js`). */
  readonly path: string;
  /** The package's folder on this machine. */
  readonly directory: string;
}

// npm's rules for a package name (validate-npm-package-name): at most 214 characters, URL-safe,
// not starting with "." or "_", an optional "@scope/". Upper case is accepted, as npm still does
// for packages published before it was forbidden. What matters here: a name is one folder, or a
// scope folder and one folder, never "." or "..", a separator or an absolute path.
const PACKAGE_NAME = /^(?:@[A-Za-z0-9~-][A-Za-z0-9._~-]*\/)?[A-Za-z0-9~-][A-Za-z0-9._~-]*$/;
const MAX_NAME_LENGTH = 214;
const RESERVED_NAMES = new Set(['node_modules', 'favicon.ico']);
const MAX_PATH_LENGTH = 4096;

export function isPackageName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && PACKAGE_NAME.test(name) && !RESERVED_NAMES.has(name);
}

/**
 * The package a `file:` module lies in, from its real path: the segment(s) after the last
 * `node_modules` (npm's nested folders and pnpm's `.pnpm/<id>/node_modules/<name>` both end that
 * way), or undefined when it is no `file:` module or no valid package name follows one.
 */
export function packageOfModule(moduleUrl: string): PackagePath | undefined {
  if (!moduleUrl.startsWith('file:')) return undefined;
  let file: string;
  try {
    file = fileURLToPath(moduleUrl);
  } catch {
    return undefined;
  }
  try {
    file = realpathSync(file);
  } catch {
    // A module that does not exist here is named by its path all the same; the receiver says it is missing.
  }
  const segments = file.split(sep);
  const at = segments.lastIndexOf('node_modules');
  if (at < 0) return undefined;
  const isScoped = segments[at + 1]?.startsWith('@') === true;
  const nameLength = isScoped ? 2 : 1;
  const name = segments.slice(at + 1, at + 1 + nameLength).join('/');
  const path = segments.slice(at + 1 + nameLength).join('/');
  if (!isPackageName(name) || path === '') return undefined;
  return { name, path, directory: segments.slice(0, at + 1 + nameLength).join(sep) };
}

/** Refuses a package name that breaks npm's rules (it could name another folder). */
export function checkPackageName(where: string, name: string): void {
  if (!isPackageName(name)) {
    throw invalidValue(where, "an npm package name (lower-case letters, digits, '-', '.', '_', '~', an optional @scope/)", name);
  }
}

/**
 * Refuses a path inside a package that is not a plain relative path: absolute, with `.`, `..` or
 * empty segments, a backslash, a NUL, or a nested `node_modules` (which names another package).
 * The real file is checked against the package's real folder afterwards (escaping symlinks).
 */
export function checkPathInPackage(where: string, path: string): void {
  const segments = path.split('/');
  const isPlain =
    path.length > 0 &&
    path.length <= MAX_PATH_LENGTH &&
    !/[\\\0]/.test(path) &&
    segments.every((segment) => segment !== '' && segment !== '.' && segment !== '..' && segment !== 'node_modules');
  if (!isPlain) throw invalidValue(where, 'a relative path inside the package, without "..", "." or node_modules', path);
}

/**
 * The folder of package `name` as Node finds it for a module in `root`: `<dir>/node_modules/<name>`
 * for `root` and each of its parents, the first that is a directory; undefined when none is.
 */
export function findPackageDirectory(name: string, root: string): string | undefined {
  for (let dir = root; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (statSync(candidate, { throwIfNoEntry: false })?.isDirectory()) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** A package.json larger than this is not read (a task package's is a few hundred bytes). */
const MAX_MANIFEST_BYTES = 1024 * 1024;
const DEPENDENCY_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies'] as const;

/**
 * Refuses a package that does not depend on multiproc: none of its modules can register() a
 * task, and importing one only to find that out would run its top level (an install script, a
 * command line) for whoever named it. Checked by the caller, and by the worker before importing.
 */
export function checkTaskPackage(where: string, name: string, directory: string): void {
  let manifest: unknown;
  try {
    const file = join(directory, 'package.json');
    if (statSync(file).size > MAX_MANIFEST_BYTES) throw new RangeError('too large');
    manifest = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    manifest = undefined;
  }
  const fields = (manifest ?? {}) as Record<string, unknown>;
  const dependsOnMultiproc = DEPENDENCY_FIELDS.some((field) => {
    const dependencies = fields[field];
    return typeof dependencies === 'object' && dependencies !== null && Object.hasOwn(dependencies, 'multiproc');
  });
  if (!dependsOnMultiproc) {
    throw invalidValue(
      where,
      'a module of a package that depends on multiproc (its package.json lists "multiproc" in dependencies, peerDependencies or optionalDependencies)',
      `${name} in ${directory}`,
      'Only such a package can register() tasks: add multiproc to its dependencies or peerDependencies.',
    );
  }
}
