// multiproc's logger (Python's get_logger/log_to_stderr): silent by default; logToStderr or
// MULTIPROC_LOG turn it on in a program and its children; a handler can take the records.
// Programs run in a child process of their own, so this process's environment stays untouched.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { AuthenticationError, Client, getLogger, Listener, type LogRecord, logToStderr } from 'multiproc';
import { multiprocChildren } from '../helpers/contexts.ts';

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

interface Ran {
  readonly pid: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs an ES module program from the package root with MULTIPROC_LOG set to `level` (or unset). */
async function runProgram(program: string, level?: string): Promise<Ran> {
  const { MULTIPROC_LOG: _level, MULTIPROC_TRACKER: _tracker, MULTIPROC_ROOT_PID: _root, ...rest } = process.env;
  const env = level === undefined ? rest : { ...rest, MULTIPROC_LOG: level };
  const child = spawn(process.execPath, ['--input-type=module', '-e', program], { cwd: packageRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  assert.equal(code, 0, `the program failed (${signal ?? code}); stderr:\n${stderr}`);
  return { pid: child.pid ?? -1, stdout, stderr };
}

/** A pool of one process worker that dies while holding a task; prints the worker's pid. */
const WORKER_DIES = `
  import { Pool, WorkerLostError } from 'multiproc';
  import { dieMidTask, workerPid } from './test/fixtures/log-tasks.mjs';
  const pool = new Pool({ processes: 1, context: 'process' });
  try {
    const pid = await pool.apply(workerPid);
    await pool.apply(dieMidTask).then(() => { throw new Error('the task should have been lost'); }, (error) => {
      if (!(error instanceof WorkerLostError)) throw error;
    });
    console.log(pid);
  } finally {
    pool.terminate();
    await pool.join();
  }`;

describe('logger', () => {
  test('with MULTIPROC_LOG=info, a pool worker killed mid-task is reported on stderr with the task it lost', async () => {
    const { pid, stdout, stderr } = await runProgram(WORKER_DIES, 'info');
    const workerPid = Number(stdout.trim());
    assert.match(stderr, new RegExp(`^\\[multiproc/WARN pid ${pid}\\] pool worker ${workerPid} exited with code -9; 1 task lost$`, 'm'));
    assert.doesNotMatch(stderr, /DEBUG/, 'debug lines stay hidden at level info');
  });

  test('by default multiproc prints nothing, even when a worker dies', async () => {
    const { stderr } = await runProgram(WORKER_DIES);
    assert.equal(stderr, '');
  });

  test("logToStderr('debug') shows each worker start and its normal exit", async () => {
    const { pid, stdout, stderr } = await runProgram(`
      import { logToStderr, Pool } from 'multiproc';
      import { workerPid } from './test/fixtures/log-tasks.mjs';
      logToStderr('debug');
      const pool = new Pool({ processes: 1, context: 'process', maxTasksPerChild: 1 }); // its worker exits after one task
      console.log(await pool.apply(workerPid));
      pool.close();
      await pool.join();`);
    const workerPid = Number(stdout.trim());
    assert.match(stderr, new RegExp(`^\\[multiproc/DEBUG pid ${pid}\\] pool worker \\S+ started \\(pid ${workerPid}, process context\\)$`, 'm'));
    assert.match(stderr, new RegExp(`^\\[multiproc/DEBUG pid ${pid}\\] pool worker ${workerPid} exited with code 0$`, 'm'));
  });

  test('children and threads inherit the level set in their parent, warm spares included', async () => {
    const { stdout } = await runProgram(`
      import { getLogger, logToStderr, Pool, Process } from 'multiproc';
      import { logLevel, printLogLevel } from './test/fixtures/log-tasks.mjs';
      const run = async (context) => {
        const child = new Process({ target: printLogLevel, args: [context], context });
        child.start();
        await child.join();
      };
      for (const context of ['process', 'thread']) {
        await run(context); // silent; spares boot after this start, before the level changes
        logToStderr(context === 'process' ? 'error' : 'warn');
        await run(context);
        const pool = new Pool({ processes: 2, context });
        console.log(context, ...(await pool.map(logLevel, [1, 2], { chunkSize: 1 })));
        pool.terminate();
        await pool.join();
        getLogger().level = 'silent';
      }`);
    assert.deepEqual(stdout.trim().split('\n'), ['process silent', 'process error', 'process error error', 'thread silent', 'thread warn', 'thread warn warn']);
  });

  test('a parked pool worker taken by a later pool takes the level set since it started', async () => {
    const { stdout } = await runProgram(`
      import { getLogger, Pool } from 'multiproc';
      import { logLevel, workerPid } from './test/fixtures/log-tasks.mjs';
      for (const context of ['process', 'thread']) {
        const first = new Pool({ processes: 1, context });
        const pid = await first.apply(workerPid);
        first.close();
        await first.join(); // its worker is parked for the next pool
        getLogger().level = 'error';
        const second = new Pool({ processes: 1, context });
        console.log(context, (await second.apply(workerPid)) === pid ? 'same worker' : 'new worker', await second.apply(logLevel, [0]));
        second.terminate();
        await second.join();
        getLogger().level = 'silent';
      }`);
    assert.deepEqual(stdout.trim().split('\n'), ['process same worker error', 'thread same worker error']);
  });

  test('with MULTIPROC_LOG=info, the resource tracker reports the segments it unlinked after the program ended', async () => {
    // The tracker shares the program's stderr, so the program's stderr closes once the tracker is done too.
    const { pid, stdout, stderr } = await runProgram(
      `
      import { SharedMemory } from 'multiproc';
      const leftover = new SharedMemory({ create: true, size: 4096 }); // never unlinked: the tracker's job
      console.log(leftover.name);`,
      'info',
    );
    assert.match(stderr, new RegExp(`^\\[multiproc/INFO pid \\d+\\] resource tracker: the tree of pid ${pid} ended; unlinked 1 shared memory segment\\(s\\) it left$`, 'm'));
    assert.equal(existsSync(`/dev/shm/${stdout.trim().replace(/^\//, '')}`), false);
  });

  test('an invalid MULTIPROC_LOG is reported once and leaves logging silent', async () => {
    const { pid, stdout, stderr } = await runProgram(
      `
      import { getLogger, Pool } from 'multiproc';
      import { logLevel } from './test/fixtures/log-tasks.mjs';
      const pool = new Pool({ processes: 1, context: 'process' });
      console.log(getLogger().level, await pool.apply(logLevel));
      pool.close();
      await pool.join();`,
      'verbose',
    );
    assert.equal(stdout.trim(), 'silent silent');
    assert.equal(stderr, `[multiproc/WARN pid ${pid}] MULTIPROC_LOG="verbose" is not a level (debug, info, warn, error, silent); logging stays silent.\n`);
  });
});

describe('logger in this process', () => {
  test("a handler receives the records at its level: a peer refused for a wrong authkey is a 'warn'", async (t) => {
    const logger = getLogger();
    const { level, handler } = logger;
    const inherited = process.env.MULTIPROC_LOG;
    t.after(() => {
      logger.level = level;
      logger.handler = handler;
      if (inherited === undefined) delete process.env.MULTIPROC_LOG;
      else process.env.MULTIPROC_LOG = inherited;
    });
    const records: LogRecord[] = [];
    logger.level = 'warn';
    logger.handler = (record) => records.push(record);
    logger.info('below the level: not recorded');
    const listener = new Listener({ address: { host: '127.0.0.1', port: 0 }, authkey: 'right' });
    t.after(() => listener.close());
    const refused = assert.rejects(listener.accept(), AuthenticationError);
    await assert.rejects(Client({ address: listener.address, authkey: 'wrong' }), AuthenticationError);
    await refused;
    assert.equal(records.length, 1, JSON.stringify(records));
    const [record] = records;
    assert.equal(record.level, 'warn');
    assert.equal(record.pid, process.pid);
    assert.equal(record.threadId, 0);
    assert.ok(Number.isFinite(record.timeMs));
    assert.match(record.message, /^Listener refused the peer at the socket to 127\.0\.0\.1:\d+: /);
  });

  test('a bad level is a TypeError naming the argument and the levels', () => {
    const logger = getLogger();
    const level = logger.level;
    assert.throws(() => logToStderr('verbose' as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /^logToStderr: "level" must be one of 'debug', 'info', 'warn', 'error', 'silent', received "verbose"/ });
    assert.throws(() => {
      logger.level = 'INFO' as never;
    }, { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /^getLogger\(\)\.level must be one of/ });
    assert.throws(() => {
      logger.handler = 'stderr' as never;
    }, { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /^getLogger\(\)\.handler must be a function/ });
    assert.equal(logger.level, level);
  });

  test('the tests above leave no child behind', () => {
    assert.deepEqual(multiprocChildren(), []);
  });
});
