// An unrelated program for a test to talk to: a plain `node -e` (importing 'multiproc/ipc' as any
// program would) or a Python program, spawned with child_process and driven by lines: it writes
// a line to stdout when it reached a step, and reads a line from stdin to go on. Killed when the
// test ends, also when an assertion failed.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

const packageRoot = fileURLToPath(new URL('../..', import.meta.url));

/** python3 when it runs here, else null (its tests then skip, saying why). */
export const python3: string | null = (() => {
  try {
    execFileSync('python3', ['-c', 'import mmap, fcntl'], { stdio: 'ignore' });
    return 'python3';
  } catch {
    return null;
  }
})();

export class LinePeer {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  readonly #exit: Promise<[number | null, NodeJS.Signals | null]>;
  #stderr = '';

  constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    this.#lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      this.#stderr += text;
    });
    this.#exit = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** The next line the program writes; throws with its stderr when it ended instead. */
  async next(): Promise<string> {
    const line = await this.#lines.next();
    if (line.done) {
      await this.#exit;
      throw new Error(`the peer ended before writing a line; its stderr:\n${this.#stderr}`);
    }
    return line.value;
  }

  /** Writes a line to the program's stdin. */
  send(line: string): void {
    this.#child.stdin.write(`${line}\n`);
  }

  /** Closes the program's stdin, then waits for it to end (throws with its stderr when it failed). */
  async exited(): Promise<number> {
    this.#child.stdin.end();
    const [code, signal] = await this.#exit;
    if (code !== 0) throw new Error(`the peer ended with ${code ?? signal}; its stderr:\n${this.#stderr}`);
    return code;
  }

  /** SIGKILL, and wait until it is gone. */
  async kill(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    await this.#exit;
  }
}

function started(t: TestContext, child: ChildProcessWithoutNullStreams): LinePeer {
  const peer = new LinePeer(child);
  t.after(() => peer.kill());
  return peer;
}

/**
 * A plain Node program (an ES module given as text; `process.argv.slice(1)` holds `args`), run
 * from the package root so that `import ... from 'multiproc/ipc'` resolves as it would for a user.
 * It ends when its stdin closes.
 */
export function spawnNode(t: TestContext, program: string, args: string[] = []): LinePeer {
  return started(t, spawn(process.execPath, ['--input-type=module', '-e', program, '--', ...args], { cwd: packageRoot }));
}

/** A Python program given as text (`sys.argv[1:]` holds `args`), unbuffered. */
export function spawnPython(t: TestContext, program: string, args: string[] = []): LinePeer {
  return started(t, spawn(python3 ?? 'python3', ['-u', '-c', program, ...args], { cwd: packageRoot }));
}
