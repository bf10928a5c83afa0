// Preloaded (node --import) into every test file's process by the npm test scripts. After the
// file's last test, it fails the file unless the file left behind no child process, no running
// worker thread and no new shared-memory segment. Children of the tests inherit the preload with
// the rest of Node's options: only the test file's own main thread installs the check. Plain
// JavaScript, as worker threads load it too and on Node 20 tsx does not reach their preloads.
import { isMainThread } from 'node:worker_threads';

const isTestFile = /\.test\.[cm]?[jt]s$/.test(process.argv[1] ?? '');

if (isMainThread && isTestFile && process.env.NODE_TEST_CONTEXT !== undefined) {
  const { installLeakCheck } = await import('./leak-watch.ts');
  installLeakCheck();
}
