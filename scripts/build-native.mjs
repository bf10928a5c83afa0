// Install script: builds the native addon from source with the node-gyp that npm ships, against
// the running Node's own headers, so nothing is downloaded. A failed build never fails the
// install: the package still works without the addon, and says so where it is needed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nodePrefix = resolve(process.execPath, '..', '..');

function warn(message) {
  console.warn(`multiproc: the native addon was not built (${message}).`);
  console.warn('multiproc: pools, processes and the thread context work without it; shared memory and');
  console.warn('multiproc: cross-process locks need it. Install g++, make and python3, then `npm rebuild multiproc`.');
}

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(nodePrefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((path) => path && existsSync(path));
}

if (process.env.MULTIPROC_SKIP_NATIVE_BUILD === '1') {
  console.warn('multiproc: MULTIPROC_SKIP_NATIVE_BUILD=1, the native addon is not built.');
} else if (process.platform !== 'linux') {
  console.warn(`multiproc: the native addon supports Linux only (this is ${process.platform}); skipped.`);
} else if (!existsSync(join(nodePrefix, 'include', 'node', 'node.h'))) {
  warn(`Node's headers are not at ${join(nodePrefix, 'include', 'node')}`);
} else {
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) {
    warn('node-gyp was not found next to npm');
  } else {
    const result = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodePrefix}`], {
      cwd: packageRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (result.status !== 0) warn(`node-gyp exited with ${result.status ?? result.signal}`);
  }
}
