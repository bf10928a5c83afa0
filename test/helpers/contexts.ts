// Runs a contract test suite once per context, and checks that tests leave no child behind.
import { after, before, describe } from 'node:test';
import { type ContextName, Pool } from 'multiproc';
import { childPids, commandLine } from './processes.ts';

export { childPids, commandLine, eventually, isRunning, killAfter } from './processes.ts';

export const contexts: readonly ContextName[] = ['process', 'thread'];

/** Declares the same tests for the 'process' and the 'thread' context. */
export function forEachContext(body: (context: ContextName) => void): void {
  for (const context of contexts) describe(`${context} context`, () => body(context));
}

/**
 * One pool shared by the tests of a describe block, started before them and terminated after.
 * Only for tests that leave every worker healthy; see ownPool.
 * Returns a getter, as the pool exists only once `before` ran.
 */
export function sharedPool(context: ContextName, processes = 2): () => Pool {
  let pool: Pool;
  before(() => {
    pool = new Pool({ processes, context });
  });
  after(() => pool.terminate());
  return () => pool;
}

/**
 * A pool of one test's own, terminated after it even when an assertion fails. For tests that
 * kill, crash, time out or block a worker: a shared pool is never left degraded for the next test.
 */
export function ownPool(t: { after(fn: () => unknown): void }, context: ContextName, processes = 2): Pool {
  const pool = new Pool({ processes, context });
  t.after(() => pool.terminate());
  return pool;
}

/** What endAfter needs of a child: a Process or a Thread. */
interface Stoppable {
  isAlive(): boolean;
  kill(): void;
  join(): Promise<void>;
}

/**
 * Ends a child after the test, also when an assertion failed before the test joined it: kills it
 * if it still runs, then joins it (a child never started, or already closed, is left as is).
 */
export function endAfter<T extends Stoppable>(t: { after(fn: () => unknown): void }, child: T): T {
  t.after(async () => {
    try {
      if (child.isAlive()) child.kill();
    } catch {
      return; // closed: the test ended and closed it already
    }
    await child.join().catch(() => {}); // never started: nothing to wait for
  });
  return child;
}

/** Children of this process that multiproc started (tools like tsx's esbuild service are not ours). */
export function multiprocChildren(): string[] {
  return childPids()
    .map((pid) => `${pid}: ${commandLine(pid)}`)
    .filter((line) => line.includes('process-entry'));
}
