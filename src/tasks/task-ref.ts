// How a function reaches another process (SPEC §2): by a registered name, by an explicit
// module export (taskRef), or as its source text. The parent turns a task into a
// `TaskDescriptor`; the child turns it back into a function (resolve-task.ts).

import { pathToFileURL } from 'node:url';
import { invalidType, invalidValue } from '../base/validate.js';

// biome-ignore lint/suspicious/noExplicitAny: the widest function type; parameters are checked by callers' generics
export type AnyFunction = (...args: any[]) => unknown;

const taskRefBrand: unique symbol = Symbol('multiproc.taskRef');
/** Where a reference received from outside the tree must resolve (see TaskDescriptor). */
const registeredUnderKey: unique symbol = Symbol('multiproc.registeredUnder');

/**
 * A named export of a module, to run in another process or thread. `F` is the function's type,
 * so `pool.map(ref, items)` is typed like `pool.map(fn, items)`.
 */
export interface TaskRef<F extends AnyFunction = AnyFunction> {
  readonly [taskRefBrand]: true;
  /** The module's URL (`file:` URL string). */
  readonly module: string;
  /** The export's name. */
  readonly name: string;
  /** Phantom: the referenced function's type (never set at run time). */
  readonly __type?: F;
}

/** What every task method accepts: a function (registered or inline) or a TaskRef. */
export type Task<F extends AnyFunction = AnyFunction> = F | TaskRef<F>;

/**
 * The wire form of a task: enough for a child to find or rebuild the function. A module
 * reference that came from outside the process tree carries `registeredUnder` (the receiver's
 * root directory, or for a module of an installed package that package's real folder): it then
 * resolves only to a function its module register()ed, in a `file:` module under that folder
 * (task-trust.ts), wherever it is passed on to (a pool's workers).
 */
export type TaskDescriptor =
  | { readonly kind: 'module'; readonly module: string; readonly name: string; readonly registeredUnder?: string }
  | { readonly kind: 'source'; readonly source: string; readonly name: string };

// biome-ignore lint/suspicious/noExplicitAny: the widest class type; a Process subclass's constructor takes anything
export type AnyClass = abstract new (...args: any[]) => object;

/** Where a registered function or class is found again: its module and the name it was registered under. */
export interface RegisteredName {
  readonly module: string;
  readonly name: string;
}

/** Registered functions of this process: function -> where a child finds it again. */
const registeredByFunction = new Map<AnyFunction, RegisteredName>();
/** The same, by module URL then name: what a child looks up after importing the module. */
const registeredByModule = new Map<string, Map<string, AnyFunction>>();
// Classes (Process subclasses whose run() runs in a child) are kept apart from functions, so no
// task reference, from this tree or from a peer, ever resolves to one: a class is named only by
// Process.start, in the first message of a child it starts over the tree's own channel.
const registeredByClass = new Map<AnyClass, RegisteredName>();
const registeredClassesByModule = new Map<string, Map<string, AnyClass>>();

/** A `class` declaration or expression (its prototype is read-only, unlike a function's). */
function isClass(value: AnyFunction | AnyClass): value is AnyClass {
  return Object.getOwnPropertyDescriptor(value, 'prototype')?.writable === false && /^class\b/.test(Function.prototype.toString.call(value));
}

function addTo<T>(registry: Map<string, Map<string, T>>, module: string, name: string, value: T): void {
  let byName = registry.get(module);
  if (!byName) registry.set(module, (byName = new Map()));
  byName.set(name, value);
}

function normalizeModuleUrl(where: string, moduleUrl: unknown): string {
  if (moduleUrl instanceof URL) return moduleUrl.href;
  if (typeof moduleUrl !== 'string' || moduleUrl === '') {
    throw invalidType(where, 'a module URL string (import.meta.url) or a URL', moduleUrl);
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(moduleUrl)) return moduleUrl;
  if (moduleUrl.startsWith('/')) return pathToFileURL(moduleUrl).href;
  throw invalidValue(where, 'an absolute URL or path', moduleUrl, 'Pass import.meta.url or new URL("./tasks.js", import.meta.url).');
}

/**
 * Declares which functions of a module may run in other processes: a child imports the module
 * (whose `register` call runs again there) and finds each function by its name. A class that
 * extends Process (or Thread) is registered the same way, so that its run() can run in a child.
 *
 * @example
 * export function square(x: number) { return x * x; }
 * export class Worker extends Process { override run() { ... } }
 * register(import.meta.url, { square, Worker });
 */
export function register(moduleUrl: string | URL, functions: Record<string, AnyFunction | AnyClass>): void {
  const module = normalizeModuleUrl('register: "moduleUrl"', moduleUrl);
  if (functions === null || typeof functions !== 'object') {
    throw invalidType('register: "functions"', 'an object of named functions or classes ({ square, Worker })', functions);
  }
  for (const [name, value] of Object.entries(functions)) {
    if (typeof value !== 'function') throw invalidType(`register: "functions.${name}"`, 'a function or a class', value);
    if (isClass(value)) {
      addTo(registeredClassesByModule, module, name, value);
      registeredByClass.set(value, { module, name });
    } else {
      addTo(registeredByModule, module, name, value as AnyFunction);
      registeredByFunction.set(value as AnyFunction, { module, name });
    }
  }
}

/**
 * Names a module's export as a task. Typed when given the module's type:
 * `taskRef<typeof import('./tasks.js'), 'square'>(new URL('./tasks.js', import.meta.url), 'square')`.
 */
export function taskRef<M = Record<string, AnyFunction>, K extends keyof M & string = keyof M & string>(
  moduleUrl: string | URL,
  name: K,
): TaskRef<M[K] extends AnyFunction ? M[K] : AnyFunction> {
  const module = normalizeModuleUrl('taskRef: "moduleUrl"', moduleUrl);
  if (typeof name !== 'string' || name === '') throw invalidType('taskRef: "name"', 'an export name', name);
  return Object.freeze({ [taskRefBrand]: true as const, module, name });
}

/**
 * A reference that resolves only to a registered function of a `file:` module under `root`:
 * what a receiver passes on (to a pool) when the reference came from outside its tree.
 */
export function registeredOnlyRef(module: string, name: string, root: string): TaskRef {
  return Object.freeze({ [taskRefBrand]: true as const, [registeredUnderKey]: root, module, name });
}

export function isTaskRef(value: unknown): value is TaskRef {
  return typeof value === 'object' && value !== null && (value as TaskRef)[taskRefBrand] === true;
}

/** Looks up a function registered in this process under (module, name). */
export function registeredFunction(module: string, name: string): AnyFunction | undefined {
  return registeredByModule.get(module)?.get(name);
}

/** Where a registered class is found again, or undefined when it was not registered. */
export function registrationOfClass(cls: AnyClass): RegisteredName | undefined {
  return registeredByClass.get(cls);
}

/** Looks up a class registered in this process under (module, name); never a function. */
export function registeredClass(module: string, name: string): AnyClass | undefined {
  return registeredClassesByModule.get(module)?.get(name);
}

/** Builds the wire form of a task, checking it is one of the three accepted forms. */
export function describeTask(where: string, task: unknown): TaskDescriptor {
  if (isTaskRef(task)) {
    const root = (task as { [registeredUnderKey]?: string })[registeredUnderKey];
    return root === undefined ? { kind: 'module', module: task.module, name: task.name } : { kind: 'module', module: task.module, name: task.name, registeredUnder: root };
  }
  if (typeof task !== 'function') {
    throw invalidType(where, 'a function or a taskRef(...)', task);
  }
  const registered = registeredByFunction.get(task as AnyFunction);
  if (registered) return { kind: 'module', ...registered };
  const source = Function.prototype.toString.call(task);
  if (source.endsWith('{ [native code] }')) {
    throw invalidValue(
      where,
      'a function whose source can be sent, or a registered one',
      task,
      'Built-in and bound functions have no source to send: wrap the call in a function of your own, or register(import.meta.url, { fn }) it.',
    );
  }
  return { kind: 'source', source, name: task.name };
}
