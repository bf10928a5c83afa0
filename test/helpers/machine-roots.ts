// Directories that stand in for machines in the task-reference tests: each holds its own copy of
// a task module, its own install of a small task package under node_modules, and multiproc itself
// (a link to this package), so what a task returns tells which copy ran it.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The task package every machine root installs (scoped, as many private packages are). */
export const TASK_PACKAGE = '@multiproc-test/machine-tasks';

/** The functions each copy of the task module (and of the package) exports; `meet` and `whereAmI` are registered. */
export interface MachineTasks {
  whereAmI(index: number): [number, string];
  meet(dir: string, me: string, other: string): Promise<[string, string]>;
  notRegistered(): string;
}

/**
 * A task module whose results carry `tag`. `meet` leaves a marker for `me`, then waits (at most
 * 60 s, then fails) until the marker of `other` exists: two such tasks finish only when both run
 * at once, so on two workers of concurrency 1. Each run appends its name to `dir`/runs.
 */
export function taskModuleSource(tag: string): string {
  return `import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { register } from 'multiproc';

const TAG = ${JSON.stringify(tag)};

export function whereAmI(index) {
  return [index, TAG];
}

export async function meet(dir, me, other) {
  appendFileSync(join(dir, 'runs'), me + '\\n');
  writeFileSync(join(dir, me), TAG);
  const limitMs = Date.now() + 60_000;
  while (!existsSync(join(dir, other))) {
    if (Date.now() > limitMs) throw new Error('meet: the task ' + other + ' did not start within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return [me, TAG];
}

export function notRegistered() {
  return TAG;
}

register(import.meta.url, { whereAmI, meet });
`;
}

/** Writes `node_modules/<name>` under `root`: a package.json (multiproc a peer dependency) and an index.mjs made by taskModuleSource(tag). */
export function installTaskPackage(root: string, name: string, tag: string): string {
  const dir = join(root, 'node_modules', ...name.split('/'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', exports: './index.mjs', peerDependencies: { multiproc: '*' } }));
  writeFileSync(join(dir, 'index.mjs'), taskModuleSource(tag));
  return dir;
}

/** Makes `multiproc` importable from modules under `root`, as an install there would. */
export function linkMultiproc(root: string): void {
  const link = join(root, 'node_modules', 'multiproc');
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(PACKAGE_ROOT, link, 'dir');
}

export interface MachineRoot {
  /** The directory (a real path): a worker's --root, or a Pool's root. */
  readonly dir: string;
  /** The URL of its copy of the task module (tasks.mjs, tagged `root <name>`). */
  readonly moduleUrl: string;
  /** The URL of its install of TASK_PACKAGE (tagged `package <name>`). */
  readonly packageUrl: string;
  /** Removes the directory. */
  remove(): void;
}

/**
 * A fresh directory standing in for machine `name`. With `isPackageInParent`, the root is a
 * folder `app` whose parent holds node_modules, as in a project whose packages are installed one
 * level up: the worker must find them as Node does, not under its root.
 */
export function createMachineRoot(name: string, { isPackageInParent = false } = {}): MachineRoot {
  const base = realpathSync(mkdtempSync(join(tmpdir(), `mp-machine-${name}-`)));
  const dir = isPackageInParent ? join(base, 'app') : base;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tasks.mjs'), taskModuleSource(`root ${name}`));
  const packageDir = installTaskPackage(base, TASK_PACKAGE, `package ${name}`);
  linkMultiproc(base);
  return {
    dir,
    moduleUrl: pathToFileURL(join(dir, 'tasks.mjs')).href,
    packageUrl: pathToFileURL(join(packageDir, 'index.mjs')).href,
    remove: () => rmSync(base, { recursive: true, force: true }),
  };
}
