#!/usr/bin/env node
// The layer rule of src/: each folder imports only from the folders below it, never upward, as
// CPython's multiprocessing stands on util.py and context.py. This script reads every import of
// every TypeScript file under <root>/src (static, `export ... from`, dynamic `import()`, type-only
// imports and `import('...')` types alike), resolves the relative ones, and prints each import
// that goes up a layer or into a folder that is not a layer. Exit status 1 when there is one.
//
// Usage: node scripts/check-layers.mjs [root]   (root defaults to the current directory)

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** The layers of src/, lowest first; a folder may import its own layer and those before it. */
export const layers = [
  'native', // the addon and its loader
  'base', // errors, validation, deadlines, keep-alive, abort signals, identity, logging
  'cpu', // what the machine offers: cpuCount, cpuInfo
  'tasks', // the codec, task references, the error codec, trust checks
  'memory', // shared blocks, named segments, the resource tracker
  'sync', // Lock, RLock, Semaphore, Condition, Event, Barrier
  'shared', // SharedMemory, Value, SharedArray, ShareableList
  'connection', // channels, pipes, Connection, Listener/Client, wait()
  'ipc', // the Unix IPC modes of multiproc/ipc: pipes, FIFOs, signals, message queues, semaphores...
  'queue', // Queue, JoinableQueue, SimpleQueue
  'backends', // how a child process or thread is started
  'remote', // the redis context's wire format, options and BullMQ loader, shared by caller and worker
  'process', // Process, isMain
  'pool', // Pool, AsyncResult, workers
  'futures', // executors, Future
  'managers', // BaseManager, SyncManager, proxies, server
  'child', // what runs inside a child: it must decode every handle type, manager proxies included
  'worker', // `multiproc worker`: runs the redis context's jobs on a local Pool
  '(root)', // context.ts, index.ts, cli.ts
];

/**
 * Imports allowed to break the rule for now, each `"src/a/x.ts -> src/b/y.ts"`. An exception that
 * no longer matches an import is reported too, so that the list only shrinks.
 */
const exceptionsFile = join('scripts', 'layer-exceptions.json');

/** The layer a path under src/ belongs to: its first folder, or `(root)` for files in src/. */
function layerOf(pathInSrc) {
  const parts = pathInSrc.split('/');
  return parts.length === 1 ? '(root)' : parts[0];
}

function listSourceFiles(directory) {
  const files = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...listSourceFiles(path));
    else if (/\.(m|c)?tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

/** Every module specifier of a file, with the line it is on. */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found = [];
  const add = (literal) => {
    if (!literal || !ts.isStringLiteralLike(literal)) return;
    const { line } = source.getLineAndCharacterOfPosition(literal.getStart(source));
    found.push({ specifier: literal.text, line: line + 1 });
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `./x.js` written in src/a/y.ts is src/a/x.ts: the compiled name maps back to the source. */
function resolveSpecifier(file, specifier) {
  const target = resolve(dirname(file), specifier);
  for (const [compiled, sourceExtension] of [['.js', '.ts'], ['.mjs', '.mts'], ['.cjs', '.cts']]) {
    if (target.endsWith(compiled)) {
      const candidate = target.slice(0, -compiled.length) + sourceExtension;
      if (existsSync(candidate)) return candidate;
    }
  }
  return target;
}

function readExceptions(root) {
  const path = join(root, exceptionsFile);
  if (!existsSync(path)) return new Set();
  const list = JSON.parse(readFileSync(path, 'utf8'));
  if (!Array.isArray(list) || list.some((entry) => typeof entry !== 'string')) {
    throw new TypeError(`check-layers: ${exceptionsFile} must be a JSON array of "src/a/x.ts -> src/b/y.ts" strings.`);
  }
  return new Set(list);
}

/** The violations of the layer rule in the tree at `root`, as printable lines. */
export function checkLayers(root) {
  const srcDirectory = join(root, 'src');
  const toPosix = (path) => path.split(sep).join('/');
  const known = new Set(layers);
  const exceptions = readExceptions(root);
  const used = new Set();
  const violations = [];
  for (const file of listSourceFiles(srcDirectory).sort()) {
    const fromInSrc = toPosix(relative(srcDirectory, file));
    const fromName = `src/${fromInSrc}`;
    const fromLayer = layerOf(fromInSrc);
    if (!known.has(fromLayer)) {
      violations.push(`${fromName}: src/${fromLayer}/ is not a layer of src/ (layers, lowest first: ${layers.join(', ')}); move the file into one of them or add the folder to scripts/check-layers.mjs`);
      continue;
    }
    for (const { specifier, line } of importsOf(file)) {
      if (!specifier.startsWith('.')) continue;
      const target = resolveSpecifier(file, specifier);
      const toInSrc = toPosix(relative(srcDirectory, target));
      const toName = `src/${toInSrc}`;
      const where = `${fromName}:${line}`;
      if (toInSrc.startsWith('../')) {
        violations.push(`${where} imports ${toPosix(relative(root, target))}: code in src/ may import only src/ and node: modules`);
        continue;
      }
      const toLayer = layerOf(toInSrc);
      const edge = `${fromName} -> ${toName}`;
      if (exceptions.has(edge)) {
        used.add(edge);
        continue;
      }
      if (!known.has(toLayer)) {
        violations.push(`${where} imports ${toName}: src/${toLayer}/ is not a layer of src/ (layers, lowest first: ${layers.join(', ')})`);
      } else if (layers.indexOf(toLayer) > layers.indexOf(fromLayer)) {
        violations.push(`${fromName} imports ${toName}: ${fromLayer} (layer ${layers.indexOf(fromLayer)}) may not import ${toLayer} (layer ${layers.indexOf(toLayer)}) (line ${line}); move what both need into the lower layer`);
      }
    }
  }
  for (const edge of exceptions) {
    if (!used.has(edge)) violations.push(`${exceptionsFile}: "${edge}" no longer matches an import; delete it from the list`);
  }
  return violations;
}

const isScript = process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (isScript) {
  const root = resolve(process.argv[2] ?? '.');
  if (!existsSync(join(root, 'src'))) {
    console.error(`check-layers: no src/ folder under ${root}; pass the project's root as the argument.`);
    process.exit(2);
  }
  const violations = checkLayers(root);
  for (const violation of violations) console.error(violation);
  if (violations.length > 0) {
    console.error(`check-layers: ${violations.length} import(s) break the layer rule of src/.`);
    process.exit(1);
  }
  console.log(`check-layers: every import in ${toDisplay(root)}/src goes down the layers.`);
}

function toDisplay(root) {
  return relative(process.cwd(), root) || '.';
}
