// Unrelated programs for the tests of the IPC modes: a plain `node` (started with child_process,
// not by multiproc, importing 'multiproc/ipc' as any program would) or a Python program. A test
// talks to one by lines: it writes a line to stdout when it reached a step, and reads a line from
// stdin to go on. Each is killed in the test's teardown if it still runs, also when an assertion
// failed. runNode and runPython run a program to its end and return what it printed.

import { type ChildProcessWithoutNullStreams, execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { canRunAsNobody } from './foreign-user.ts';

/** The package's root: a program started there imports 'multiproc' as a user's would. */
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A name for a POSIX IPC object that no other test or run uses: "/mp-test-<tag>-<pid>-<random>". */
export function uniquePosixName(tag: string): string {
  return `/mp-test-${tag}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** What a test needs of its context: a teardown. */
type Teardown = Pick<TestContext, 'after'>;

export class Peer {
  readonly child: ChildProcessWithoutNullStreams;
  readonly #command: string;
  readonly #lines: AsyncIterator<string>;
  readonly #ended: Promise<number | string>;
  #stderr = '';

  constructor(command: string, child: ChildProcessWithoutNullStreams) {
    this.#command = command;
    this.child = child;
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      this.#stderr += text;
    });
    this.#ended = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
    this.#lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The next line the program writes to stdout; throws with its stderr when it ended instead. */
  async nextLine(): Promise<string> {
    const next = await this.#lines.next();
    if (next.done) throw new Error(`${this.#command} ended (${await this.#ended}) before writing the expected line; its stderr:\n${this.#stderr}`);
    return next.value;
  }

  /** Writes a line to the program's stdin. */
  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Its exit code (or the signal's name), once it has exited. */
  exited(): Promise<number | string> {
    return this.#ended;
  }

  /** Closes the program's stdin, then resolves once it exited with code 0; throws with its stderr otherwise. */
  async succeeded(): Promise<void> {
    this.child.stdin.end();
    const outcome = await this.#ended;
    if (outcome !== 0) throw new Error(`${this.#command} exited with ${outcome}; its stderr:\n${this.#stderr}`);
  }

  /** SIGKILL (if it still runs), and wait until it is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.#ended;
  }
}

function start(t: Teardown, command: string, args: readonly string[]): Peer {
  const peer = new Peer(command, spawn(command, args, { cwd: packageRoot, stdio: ['pipe', 'pipe', 'pipe'] }));
  t.after(() => peer.kill());
  return peer;
}

/** `node` running `program`, an ES module given as text (`process.argv.slice(1)` holds `args`). */
const nodeArgs = (program: string, args: readonly string[]) => ['--input-type=module', '-e', program, '--', ...args];

/** A plain `node` running `program`, from the package root (so 'multiproc/ipc' resolves). */
export function startNode(t: Teardown, program: string, args: readonly string[] = []): Peer {
  return start(t, process.execPath, nodeArgs(program, args));
}

/** A Python program given as text (`sys.argv[1:]` holds `args`), unbuffered; `python3` first on PATH unless `python` names another. */
export function startPython(t: Teardown, program: string, args: readonly string[] = [], python = 'python3'): Peer {
  return start(t, python, ['-u', '-c', program, ...args]);
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
export function startNodeAsNobody(t: Teardown, program: string, args: readonly string[] = []): Peer {
  return start(t, 'setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, ...nodeArgs(program, args)]);
}

const run = promisify(execFile);

/** Runs `program` as startNode does, to its end, and returns its stdout (rejects unless it exits 0). */
export async function runNode(program: string, args: readonly string[] = []): Promise<string> {
  const { stdout } = await run(process.execPath, nodeArgs(program, args), { cwd: packageRoot, timeout: 60_000 });
  return stdout;
}

/** Runs a Python program to its end and returns its stdout (rejects unless it exits 0). */
export async function runPython(python: string, program: string, args: readonly string[] = []): Promise<string> {
  const { stdout } = await run(python, ['-c', program, ...args], { timeout: 60_000 });
  return stdout;
}

/** Null when `python` runs and can import `modules` (ctypes by default); otherwise why not (a skip message). */
export function pythonMissing(python = 'python3', modules = 'ctypes'): string | null {
  const probe = spawnSync(python, ['-c', `import ${modules}`], { encoding: 'utf8', timeout: 30_000 });
  if (probe.error) return `${python} is not installed here`;
  return probe.status === 0 ? null : `${python} cannot import ${modules}`;
}
