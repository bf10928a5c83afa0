// Type-stripping loaders in worker threads. Children processes inherit the parent's Node
// options (`--import tsx`), but on Node < 22 tsx registers its hooks only on the main thread,
// so a worker thread could not import a `.ts` task module. The parent finds tsx here; the
// worker registers it through tsx's public API before importing any task module.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as workerThreads from 'node:worker_threads';

/** What a worker thread must import before task modules; structured-clonable. */
export interface LoaderPlan {
  /** URL of `tsx/esm/api`, whose register() installs tsx's hooks in this thread. */
  readonly tsxApi?: string;
}

let plan: LoaderPlan | undefined;

function importedSpecifiers(): string[] {
  const specifiers: string[] = [];
  const argv = process.execArgv;
  for (let index = 0; index < argv.length; index++) {
    const option = argv[index];
    if (option === '--import' || option === '--loader' || option === '--experimental-loader') specifiers.push(argv[++index] ?? '');
    else if (/^--(import|loader|experimental-loader)=/.test(option)) specifiers.push(option.slice(option.indexOf('=') + 1));
  }
  return specifiers;
}

/** tsx's loader file, from `--import tsx` or `--import file:///.../tsx/dist/loader.mjs`. */
function tsxLoaderPath(specifier: string): string | undefined {
  try {
    if (specifier === 'tsx' || specifier === 'tsx/esm') return createRequire(join(process.cwd(), 'noop.js')).resolve('tsx');
    const path = specifier.startsWith('file:') ? fileURLToPath(specifier) : specifier;
    return /[\\/]tsx[\\/]dist[\\/](loader|esm[\\/]index)\.mjs$/.test(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/** Computed once in the parent: which loaders its worker threads must install themselves. */
export function workerLoaderPlan(): LoaderPlan {
  if (plan) return plan;
  plan = {};
  // Node versions that pass hooks on to workers have `isInternalThread`; tsx registers itself there.
  if ('isInternalThread' in workerThreads) return plan;
  for (const specifier of importedSpecifiers()) {
    const loader = tsxLoaderPath(specifier);
    if (loader) {
      const distDir = loader.endsWith('loader.mjs') ? dirname(loader) : dirname(dirname(loader));
      plan = { tsxApi: pathToFileURL(join(distDir, 'esm', 'api', 'index.mjs')).href };
      break;
    }
  }
  return plan;
}

/** Runs in the worker thread before it imports any task module. */
export async function installLoaders(loaders: LoaderPlan | undefined): Promise<void> {
  if (!loaders?.tsxApi) return;
  const api = (await import(loaders.tsxApi)) as { register?: () => unknown };
  api.register?.();
}
