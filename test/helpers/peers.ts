// Unrelated programs for tests of the IPC modes: a plain `node` (started with child_process, not
// by multiproc) or a Python program, which talk to the test over their stdout, line by line.
// Each is killed in the test's teardown if it is still running, also when an assertion failed.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { canRunAsNobody } from './foreign-user.ts';

/** The package's root: a program started there imports 'multiproc' as a user's would. */
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A name for a POSIX IPC object that no other test or run uses: "/mp-test-<tag>-<pid>-<random>". */
export function uniquePosixName(tag: string): string {
  return `/mp-test-${tag}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export interface Peer {
  readonly child: ChildProcess;
  /** The next line the program writes to stdout (rejects if it exits first, with its stderr). */
  nextLine(): Promise<string>;
  /** Its exit code (or the signal's name), once it has exited. */
  exited(): Promise<number | string>;
  /** Resolves once it exited with code 0; rejects with its stderr otherwise. */
  succeeded(): Promise<void>;
}

function start(command: string, args: readonly string[], t: TestContext): Peer {
  const child = spawn(command, args, { cwd: packageRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const ended = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await ended;
  });
  return {
    child,
    nextLine: async () => {
      const next = await lines.next();
      if (next.done) throw new Error(`${command} ended (${await ended}) before writing the expected line; its stderr: ${stderr}`);
      return next.value;
    },
    exited: () => ended,
    succeeded: async () => {
      const outcome = await ended;
      if (outcome !== 0) throw new Error(`${command} exited with ${outcome}; its stderr: ${stderr}`);
    },
  };
}

/** A plain `node` running `program` (an ES module that may import 'multiproc' and 'multiproc/ipc'). */
export function startNode(program: string, t: TestContext): Peer {
  return start(process.execPath, ['--input-type=module', '-e', program], t);
}

/**
 * Null when user nobody can run node and import this checkout's multiproc (the checkout may sit
 * in a directory only its owner can read, as a fresh temporary clone does); otherwise why not.
 */
export function cannotImportAsNobody(): string | null {
  const reason = canRunAsNobody();
  if (reason) return reason;
  const probe = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '--input-type=module', '-e', "await import('multiproc/ipc')"], { encoding: 'utf8' });
  if (probe.status === 0) return null;
  return `user nobody cannot import multiproc from this checkout (a directory above it is not readable by others): ${(probe.stderr.split('\n').find((line) => /Error/.test(line)) ?? probe.stderr).trim().slice(0, 160)}`;
}

/** `program` run by `node` as user nobody (only root can do this: see cannotImportAsNobody). */
export function startNodeAsNobody(program: string, t: TestContext): Peer {
  return start('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '--input-type=module', '-e', program], t);
}

/** A Python program (`python3` first on PATH unless `python` names another). */
export function startPython(program: string, t: TestContext, python = 'python3'): Peer {
  return start(python, ['-c', program], t);
}

/** Null when `python` runs and has ctypes; otherwise why not (a skip message). */
export function pythonMissing(python = 'python3'): string | null {
  const probe = spawnSync(python, ['-c', 'import ctypes'], { encoding: 'utf8' });
  if (probe.error) return `${python} is not installed here`;
  return probe.status === 0 ? null : `${python} cannot import ctypes`;
}
