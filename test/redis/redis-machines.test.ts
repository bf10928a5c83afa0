// Two `multiproc worker` processes with separate roots stand in for two machines (issue 13): each
// root holds its own copy of the task module and its own install of a task package, the caller a
// third. Tasks run on both, results come back in order and exactly once, and a package task
// resolves on each worker from that worker's root.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Pool, ProcessPoolExecutor } from 'multiproc';
import { createMachineRoot, installTaskPackage, type MachineRoot, type MachineTasks } from '../helpers/machine-roots.ts';
import { type RedisServer, skipWithoutRedis, startRedis, startWorker, type WorkerProcess } from '../helpers/redis.ts';
import { scratchDir } from '../helpers/scratch-dir.ts';

const QUEUE = 'machines';
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CALLER_ONLY_PACKAGE = '@multiproc-test/caller-only';

describe('two workers with their own roots, standing in for two machines', { skip: skipWithoutRedis }, () => {
  let redis: RedisServer;
  const roots: MachineRoot[] = [];
  const workers: WorkerProcess[] = [];
  let pool: Pool;
  let rootTasks: MachineTasks;
  let packageTasks: MachineTasks;
  let callerOnlyTasks: MachineTasks;

  before(async () => {
    // Machine b's packages are installed above its root: found as Node finds them, not as a path under the root.
    const [machineA, machineB, caller] = [createMachineRoot('a'), createMachineRoot('b', { isPackageInParent: true }), createMachineRoot('caller')];
    roots.push(machineA, machineB, caller);
    const callerOnlyDir = installTaskPackage(caller.dir, CALLER_ONLY_PACKAGE, 'caller only');
    redis = await startRedis();
    for (const machine of [machineA, machineB]) workers.push(startWorker(redis.url, { root: machine.dir, queue: QUEUE }));
    await Promise.all(workers.map((worker) => worker.waitFor(/ready/)));
    // The caller's own copies register the functions it names; the workers run theirs.
    rootTasks = (await import(caller.moduleUrl)) as MachineTasks;
    packageTasks = (await import(caller.packageUrl)) as MachineTasks;
    callerOnlyTasks = (await import(`${callerOnlyDir}/index.mjs`)) as MachineTasks;
    pool = new Pool({ context: 'redis', url: redis.url, root: caller.dir, queue: QUEUE, stallTimeout: 60_000 });
  });

  after(async () => {
    await pool?.terminate();
    await Promise.all(workers.map((worker) => worker.stop()));
    await redis?.stop();
    for (const root of roots) root.remove();
  });

  test('two tasks that wait for each other run one on each worker, each from its own copy of the module', async (t) => {
    const dir = scratchDir(t);
    // With concurrency 1 each, the two tasks can only both be running on two different workers.
    const results = await pool.starmap(rootTasks.meet, [[dir, 'first', 'second'], [dir, 'second', 'first']], { chunkSize: 1 });
    assert.deepEqual(results.map(([name]) => name), ['first', 'second']);
    assert.deepEqual(results.map(([, tag]) => tag).sort(), ['root a', 'root b']);
    assert.deepEqual(readFileSync(`${dir}/runs`, 'utf8').split('\n').filter(Boolean).sort(), ['first', 'second']);
  });

  test('a package task resolves on each worker from the package installed under its own root', async (t) => {
    const dir = scratchDir(t);
    const results = await pool.starmap(packageTasks.meet, [[dir, 'first', 'second'], [dir, 'second', 'first']], { chunkSize: 1 });
    assert.deepEqual(results.map(([name]) => name), ['first', 'second']);
    assert.deepEqual(results.map(([, tag]) => tag).sort(), ['package a', 'package b']);
    assert.deepEqual(readFileSync(`${dir}/runs`, 'utf8').split('\n').filter(Boolean).sort(), ['first', 'second']);
  });

  test("a map's results come back in input order, each item once, computed by the workers' copies only", async () => {
    const items = Array.from({ length: 300 }, (_, index) => index);
    for (const task of [rootTasks.whereAmI, packageTasks.whereAmI]) {
      const results = await pool.map(task, items, { chunkSize: 7 });
      assert.deepEqual(results.map(([index]) => index), items);
      for (const [, tag] of results) assert.match(tag, /^(root|package) [ab]$/);
    }
  });

  test('a package only the caller has fails that task naming the package, the worker and its root', async () => {
    await assert.rejects(pool.apply(callerOnlyTasks.whereAmI, [1]), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_MODULE_NOT_FOUND');
      assert.match(error.message, /^multiproc worker on .+ \(pid \d+\) cannot import the task module @multiproc-test\/caller-only\/index\.mjs/);
      assert.match(error.message, /the package @multiproc-test\/caller-only is not installed/);
      const root = roots.slice(0, 2).find((machine) => error.message.includes(`--root ${machine.dir} `));
      assert.ok(root, `the message names the worker's root: ${error.message}`);
      return true;
    });
    // The workers keep serving.
    const [index, tag] = await pool.apply(packageTasks.whereAmI, [2]);
    assert.equal(index, 2);
    assert.match(tag, /^package [ab]$/);
  });

  test('a function of a package that does not depend on multiproc is refused at the call, before any job is sent', async (t) => {
    const dir = installTaskPackage(roots[2]!.dir, 'undeclared-tasks', 'undeclared');
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'undeclared-tasks', version: '1.0.0', type: 'module' }));
    const undeclared = (await import(`${dir}/index.mjs`)) as MachineTasks;
    await assert.rejects(pool.apply(undeclared.whereAmI, [1]), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_INVALID_ARG_VALUE');
      assert.match(error.message, /a package that depends on multiproc/);
      assert.doesNotMatch(error.message, /multiproc worker on/);
      return true;
    });
  });

  test('a ProcessPoolExecutor of the redis context runs many calls of one function on the workers, never through a helper of its own', async () => {
    const executor = new ProcessPoolExecutor({ context: 'redis', url: redis.url, root: roots[2]!.dir, queue: QUEUE, stallTimeout: 60_000 });
    try {
      const futures = Array.from({ length: 20 }, (_, index) => executor.submit(rootTasks.whereAmI, index));
      const results = await Promise.all(futures.map((future) => future.result()));
      assert.deepEqual(results.map(([index]) => index), Array.from({ length: 20 }, (_, index) => index));
      const mapped: number[] = [];
      for await (const [index] of executor.map(packageTasks.whereAmI, [0, 1, 2, 3])) mapped.push(index);
      assert.deepEqual(mapped, [0, 1, 2, 3]);
    } finally {
      await executor.shutdown();
    }
  });

  test('a caller whose multiproc is installed under node_modules runs an executor\'s calls on the workers', async (t) => {
    // As deployed: multiproc a real folder under the caller's node_modules, so its own modules look
    // like a package's. The workers refuse those as tasks; every call must name the user's module.
    const machine = createMachineRoot('deployed');
    t.after(() => machine.remove());
    const installed = join(machine.dir, 'node_modules', 'multiproc');
    rmSync(installed);
    cpSync(join(PACKAGE_ROOT, 'dist'), join(installed, 'dist'), { recursive: true });
    cpSync(join(PACKAGE_ROOT, 'package.json'), join(installed, 'package.json'));
    symlinkSync(join(PACKAGE_ROOT, 'node_modules', 'bullmq'), join(machine.dir, 'node_modules', 'bullmq'), 'dir');
    writeFileSync(
      join(machine.dir, 'program.mjs'),
      `import { ProcessPoolExecutor } from 'multiproc';
import { whereAmI } from './tasks.mjs';
const executor = new ProcessPoolExecutor({ context: 'redis', url: process.argv[2], root: '.', queue: '${QUEUE}', stallTimeout: 60000 });
try {
  const futures = Array.from({ length: 20 }, (_, index) => executor.submit(whereAmI, index));
  const settled = await Promise.allSettled(futures.map((future) => future.result()));
  console.log(JSON.stringify(settled.map((outcome) => outcome.status === 'fulfilled' ? outcome.value : String(outcome.reason?.message))));
} finally {
  await executor.shutdown();
}
`,
    );
    const child = spawn(process.execPath, ['program.mjs', redis.url], {
      cwd: machine.dir,
      env: { ...process.env, MULTIPROC_NO_NATIVE: '1', NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.after(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    const results = JSON.parse(output) as [number, string][];
    assert.deepEqual(results.map(([index]) => index), Array.from({ length: 20 }, (_, index) => index), output);
    for (const [, tag] of results) assert.match(tag, /^root [ab]$/);
  });
});
