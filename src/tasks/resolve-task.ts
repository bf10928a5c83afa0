// The child's side of task references: imports a task's module (once), or compiles an inline
// function's source (once per worker), and explains a ReferenceError from an inline function.
// While a task module is being imported, the process is "bootstrapping" (see base/identity.ts).

import { invalidValue } from '../base/validate.js';
import { enterBootstrap, leaveBootstrap } from '../base/identity.js';
import { type AnyFunction, registeredFunction, type TaskDescriptor } from './task-ref.js';
import { checkModuleUnderRoot } from './task-trust.js';

const compiledSources = new Map<string, AnyFunction>();
const importedModules = new Map<string, Promise<Record<string, unknown>>>();

/** Imports a task module, marking the process as bootstrapping while its top level runs. */
export function importTaskModule(moduleUrl: string): Promise<Record<string, unknown>> {
  let loading = importedModules.get(moduleUrl);
  if (!loading) {
    enterBootstrap();
    loading = import(moduleUrl).finally(leaveBootstrap) as Promise<Record<string, unknown>>;
    importedModules.set(moduleUrl, loading);
  }
  return loading;
}

/**
 * Turns a descriptor into the function to call. One from the tree resolves as SPEC §2 says; one
 * marked `registeredUnder` (it came from outside the tree) only to a registered function of a
 * module under that root: checked again here, since this may be a pool worker it was passed to.
 */
export async function resolveTask(descriptor: TaskDescriptor): Promise<AnyFunction> {
  if (descriptor.kind === 'source') return compileSource(descriptor.source, descriptor.name);
  if (descriptor.registeredUnder !== undefined) return resolveRegistered(descriptor, descriptor.registeredUnder);
  const exports = await importTaskModule(descriptor.module);
  const found = registeredFunction(descriptor.module, descriptor.name) ?? exports[descriptor.name];
  if (typeof found !== 'function') {
    throw new TypeError(
      `The task "${descriptor.name}" was not found in ${descriptor.module}: the module neither registered it ` +
        `(register(import.meta.url, { ${descriptor.name} })) nor exports a function of that name.`,
    );
  }
  return found as AnyFunction;
}

async function resolveRegistered(descriptor: { module: string; name: string }, root: string): Promise<AnyFunction> {
  const where = `task "${descriptor.name}"`;
  checkModuleUnderRoot(where, descriptor.module, descriptor.name, root);
  await importTaskModule(descriptor.module);
  const found = registeredFunction(descriptor.module, descriptor.name);
  if (found) return found;
  throw invalidValue(
    where,
    `a function that ${descriptor.module} register()ed`,
    descriptor.name,
    'A task from outside this process tree (a manager client, a Pool proxy, a Barrier record) runs only a registered function, never a mere export: ' +
      `register(import.meta.url, { ${descriptor.name} }) in that module.`,
  );
}

// esbuild-based loaders (tsx) may wrap nested functions in `__name(fn, "name")`; an inline
// function's text can carry such calls, so they get a harmless stand-in.
const keepName = <T>(target: T): T => target;

function compileSource(source: string, name: string): AnyFunction {
  const cached = compiledSources.get(source);
  if (cached) return cached;
  const compiled = explainingReferenceErrors(evaluateFunctionText(source, name), name);
  compiledSources.set(source, compiled);
  return compiled;
}

/** Evaluates a function's text: an expression (`function`, arrow, class-free) or a method. */
function evaluateFunctionText(source: string, name: string): AnyFunction {
  const attempts = [`return (${source});`, `return ({ ${source} })[${JSON.stringify(name)}];`];
  let firstError: unknown;
  for (const body of attempts) {
    try {
      const fn = new Function('__name', body)(keepName) as unknown;
      if (typeof fn === 'function') return fn as AnyFunction;
    } catch (error) {
      firstError ??= error;
    }
  }
  throw new SyntaxError(
    `The inline task "${name || '(anonymous)'}" could not be rebuilt from its source text in the worker ` +
      `(${(firstError as Error)?.message}). Register it instead: register(import.meta.url, { ${name || 'fn'} }).`,
  );
}

/** Wraps an inline function so a ReferenceError tells why outside variables are unreachable. */
function explainingReferenceErrors(fn: AnyFunction, name: string): AnyFunction {
  const explain = (error: unknown): never => {
    if (error instanceof ReferenceError && !error.message.includes('inline function')) {
      error.message +=
        `. The task ${name ? `"${name}" ` : ''}was sent to the worker as its source text (an inline function), ` +
        'so it cannot use variables, imports or functions from outside itself. Export it from a module and ' +
        `register it there: register(import.meta.url, { ${name || 'fn'} }), or pass taskRef(moduleUrl, name).`;
    }
    throw error;
  };
  return function inlineTask(this: unknown, ...args: unknown[]): unknown {
    try {
      const result = fn.apply(this, args);
      if (result instanceof Promise) return result.catch(explain);
      return result;
    } catch (error) {
      return explain(error);
    }
  };
}
