// Two `multiproc worker` processes with separate roots stand in for two machines (issue 13): each
// root holds its own copy of the task module and its own install of a task package, the caller a
// third. Tasks run on both, results come back in order and exactly once, and a package task
// resolves on each worker from that worker's root.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Pool } from 'multiproc';
import { createMachineRoot, installTaskPackage, type MachineRoot, type MachineTasks } from '../helpers/machine-roots.ts';
import { type RedisServer, skipWithoutRedis, startRedis, startWorker, type WorkerProcess } from '../helpers/redis.ts';
import { scratchDir } from '../helpers/scratch-dir.ts';

const QUEUE = 'machines';
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
});
