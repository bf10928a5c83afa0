// What a `multiproc worker` makes of a job's data before running anything (SPEC §12, §14): the
// data is checked field by field (anyone who can write to the Redis can add a job), and the task
// it names becomes a reference that resolves only to a function its module register()ed, in a
// module under the worker's --root, or inside a package found from --root as Node would find it.
// The three ways a job names its module are described in remote/job-wire.ts.

import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvalidStateError } from '../base/errors.js';
import { type JobData, MULTIPROC_VERSION } from '../remote/job-wire.js';
import { checkPackageName, checkPathInPackage, checkTaskPackage, findPackageDirectory } from '../tasks/task-package.js';
import { registeredOnlyRef, type TaskRef } from '../tasks/task-ref.js';
import { untrustedTask } from '../tasks/task-trust.js';

/** Checks a job's data: its multiproc version first (another version may shape its data otherwise), then each field. */
export function checkJobData(data: JobData, identity: string): void {
  if (data !== null && typeof data === 'object' && typeof data.v === 'string' && data.v !== MULTIPROC_VERSION) {
    throw new InvalidStateError(
      `multiproc worker on ${identity} runs multiproc ${MULTIPROC_VERSION} and refuses a task sent by multiproc ${data.v}: ` +
        'values and tasks are encoded per version. Install the same multiproc version on the caller and on every worker.',
    );
  }
  const isValid =
    data !== null &&
    typeof data === 'object' &&
    typeof data.v === 'string' &&
    typeof data.module === 'string' &&
    data.module.length <= 4096 &&
    !(data.isRelative && isAbsolute(data.module)) &&
    (data.package === undefined || (typeof data.package === 'string' && data.isRelative)) &&
    typeof data.name === 'string' &&
    typeof data.payload === 'string' &&
    (data.mode === 0 || data.mode === 1 || data.mode === 2) &&
    (data.taskTimeoutMs === undefined || (typeof data.taskTimeoutMs === 'number' && data.taskTimeoutMs >= 0));
  if (!isValid) throw new TypeError('multiproc worker: this job is not a multiproc task (its data has the wrong shape); it was not run.');
}

/** Where a job's module was found: its real file's URL, and the folder it must stay in. */
interface Located {
  readonly module: string;
  readonly root: string;
}

/**
 * The job's task as a reference that resolves only to a registered function: of a module under
 * `root`, or of a package module confined to that package's real folder (the root its pool
 * workers check it against again, see tasks/resolve-task.ts).
 */
export function resolveJobTask(data: JobData, root: string, identity: string): TaskRef {
  const where = `task "${data.name}"`;
  const located = data.package === undefined ? locateFile(data, root, identity) : locateInPackage(where, data.package, data.module, root, identity);
  return onWorker(identity, () => {
    const descriptor = untrustedTask(where, { kind: 'module', module: located.module, name: data.name }, located.root);
    return registeredOnlyRef(descriptor.module, descriptor.name, located.root);
  });
}

/** Runs a check whose error then names this worker. */
function onWorker<T>(identity: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    (error as Error).message = `multiproc worker on ${identity}: ${(error as Error).message}`;
    throw error;
  }
}

/** A `file:` URL, or a path relative to the root both sides configure. */
function locateFile(data: JobData, root: string, identity: string): Located {
  const module = data.isRelative ? pathToFileURL(resolve(root, data.module)).href : data.module;
  if (!module.startsWith('file:')) return { module, root }; // refused by untrustedTask, naming its scheme
  const file = realFileOf(module);
  if (file === undefined) {
    const shown = data.isRelative ? `${data.module} (under --root ${root})` : module;
    throw notFound(identity, shown, 'no such file on this machine', 'Install the same task modules on every worker machine, and name them relative to a root both sides configure (Pool option "root", worker option --root), or put them in a package.');
  }
  return { module: pathToFileURL(file).href, root };
}

/** A path inside an installed package, found from the root as Node finds packages. */
function locateInPackage(where: string, name: string, path: string, root: string, identity: string): Located {
  onWorker(identity, () => {
    checkPackageName(`${where}: the package`, name);
    checkPathInPackage(`${where}: the module in package ${name}`, path);
  });
  const shown = `${name}/${path}`;
  const found = findPackageDirectory(name, root);
  if (found === undefined) {
    throw notFound(
      identity,
      shown,
      `the package ${name} is not installed in the node_modules folder of --root ${root} or of any of its parents`,
      `Install ${name} on every worker machine (npm install ${name} in --root), the same version as the caller's.`,
    );
  }
  const packageRoot = realpathSync(found);
  onWorker(identity, () => checkTaskPackage(`${where}: the package`, name, packageRoot));
  const file = realFileOf(pathToFileURL(join(packageRoot, ...path.split('/'))).href);
  if (file === undefined) {
    throw notFound(identity, shown, `the package ${name} in ${packageRoot} has no file ${path}`, `Install the version of ${name} the caller has on every worker machine.`);
  }
  // The real file (a symlink inside the package resolved) is the URL its register() call uses;
  // untrustedTask refuses it when that real file lies outside the package's real folder.
  return { module: pathToFileURL(file).href, root: packageRoot };
}

function realFileOf(moduleUrl: string): string | undefined {
  try {
    const file = fileURLToPath(moduleUrl);
    return existsSync(file) ? realpathSync(file) : undefined;
  } catch {
    return undefined;
  }
}

function notFound(identity: string, shown: string, why: string, advice: string): Error {
  const error = new Error(`multiproc worker on ${identity} cannot import the task module ${shown}: ${why}. ${advice}`);
  Object.defineProperty(error, 'code', { value: 'ERR_MODULE_NOT_FOUND', enumerable: true });
  return error;
}
