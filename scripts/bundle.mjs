// Runs after tsc at `npm run build`: loads of the package's ~100 ES modules cost Node 20 about
// 1 ms each at start-up, so every file a program or a child imports by path (the package's
// entries, the child entries, the modules that register tasks by URL) becomes a thin file that
// re-exports a bundle in dist/bundled/. The bundles share chunks (esbuild's code splitting), so
// each module of the package still runs once per process: one register() table, one class for
// instanceof, whichever entry a program or task module imports.

import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const OUT = 'bundled';

/** Files a process runs: each is a bundle of its own (it runs when imported). */
const MAINS = ['child/process-entry.js', 'child/thread-entry.js', 'memory/tracker-main.js', 'cli.js'];

/**
 * Files imported by path for what they export: the package's exports, modules imported by URL
 * at run time (task modules of the package, a pool worker's main) and by the tests. They all
 * come from one bundle, so that the mains and they share as few chunks as possible.
 */
const LIBRARIES = [
  'index.js',
  'futures/index.js',
  'ipc/index.js',
  'pool/worker-main.js',
  'worker/worker-command.js',
  'managers/server.js',
  'managers/segment-keeper.js',
  'futures/call-capturing.js',
  'connection/connection.js',
  'connection/message.js',
  'tasks/codec.js',
  'tasks/task-package.js',
  'remote/job-wire.js',
  'worker/job-task.js',
  'native/loader.js',
];

const flatName = (path) => path.replace(/\.js$/, '').replace(/[/-]/g, '_');

/**
 * Every output sits one folder below dist/, so a module's own URL is rebuilt from the output's:
 * `new URL('../child/process-entry.js', import.meta.url)` and register(import.meta.url, ...) keep
 * naming the files they named before bundling.
 */
const keepModuleUrls = {
  name: 'keep-module-urls',
  setup(builder) {
    builder.onLoad({ filter: /\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return { contents: source, loader: 'js' };
      // `define` replaces the expression in code only, never inside a string (error messages quote it).
      const { code } = await transform(source, { define: { 'import.meta.url': 'moduleUrl$' }, format: 'esm', loader: 'js' });
      const ownUrl = `new URL(${JSON.stringify(`../${relative(dist, args.path)}`)}, import.meta.url).href`;
      return { contents: `const moduleUrl$ = ${ownUrl};\n${code}`, loader: 'js' };
    });
  },
};

/** The names a module exports (values only: tsc has dropped the types). */
async function exportsOf(path) {
  const result = await build({ entryPoints: [join(dist, path)], bundle: false, write: false, metafile: true, format: 'esm', outdir: 'x', logLevel: 'silent' });
  return Object.values(result.metafile.outputs).flatMap((output) => output.exports ?? []);
}

const STUB_MARK = '// Re-exports the bundle (scripts/bundle.mjs).\n';
if ((await readFile(join(dist, 'index.js'), 'utf8')).startsWith(STUB_MARK)) {
  throw new Error('bundle: dist/ holds the bundle\'s re-exports already, not tsc\'s output; run `npm run build` (tsc first, then this script).');
}
await rm(join(dist, OUT), { recursive: true, force: true });

const library = LIBRARIES.map((path) => `export * as ${flatName(path)} from ${JSON.stringify(join(dist, path))};`).join('\n');
const exportNames = new Map();
for (const path of LIBRARIES) exportNames.set(path, await exportsOf(path));

await build({
  entryPoints: [...MAINS.map((path) => ({ in: join(dist, path), out: flatName(path) })), { in: 'library', out: 'library' }],
  outdir: join(dist, OUT),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['bullmq', 'ioredis'],
  chunkNames: 'chunk-[hash]',
  sourcemap: true,
  keepNames: true, // class and function names are part of the API (Process.name, errors' names)
  logLevel: 'warning',
  plugins: [
    {
      name: 'library',
      setup(builder) {
        builder.onResolve({ filter: /^library$/ }, () => ({ path: 'library', namespace: 'library' }));
        builder.onLoad({ filter: /.*/, namespace: 'library' }, () => ({ contents: library, loader: 'js', resolveDir: dist }));
      },
    },
    keepModuleUrls,
  ],
});

const specifierFrom = (path, output) => {
  const target = relative(dirname(join(dist, path)), join(dist, OUT, output));
  return target.startsWith('.') ? target : `./${target}`;
};
for (const path of MAINS) {
  const shebang = path === 'cli.js' ? '#!/usr/bin/env node\n' : '';
  await writeFile(join(dist, path), `${shebang}${STUB_MARK}import '${specifierFrom(path, `${flatName(path)}.js`)}';\n`);
}
for (const path of LIBRARIES) {
  const names = exportNames.get(path);
  const namespace = flatName(path);
  const body = names.length === 0 ? '' : `export const { ${names.join(', ')} } = ${namespace};\n`;
  await writeFile(join(dist, path), `${STUB_MARK}import { ${namespace} } from '${specifierFrom(path, 'library.js')}';\n${body}`);
}
