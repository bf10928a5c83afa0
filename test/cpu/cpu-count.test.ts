// cpuCount / cpuQuotaFrom: the cgroup v1 and v2 quota parsers against fixture procfs/sysfs trees,
// and a real check that CPU affinity (taskset) lowers cpuCount() in a child process.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpuCount, cpuQuotaFrom } from '../../src/cpu/cpu-count.ts';

const root = mkdtempSync(join(tmpdir(), 'multiproc-cpu-count-'));
after(() => rmSync(root, { recursive: true, force: true }));

let fixtures = 0;

/** Writes `files` (paths relative to a fresh fixture root) and returns that root's proc/sys. */
function fixture(files: Record<string, string>): { proc: string; sys: string } {
  const base = join(root, String(fixtures++));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(base, path)), { recursive: true });
    writeFileSync(join(base, path), text);
  }
  return { proc: join(base, 'proc'), sys: join(base, 'sys') };
}

describe('cpuQuotaFrom, cgroup v2', () => {
  test('150000 100000 (1.5 CPUs) rounds up to 2', () => {
    const roots = fixture({ 'proc/self/cgroup': '0::/app\n', 'sys/fs/cgroup/app/cpu.max': '150000 100000\n' });
    assert.equal(cpuQuotaFrom(roots), 2);
  });

  test('max means no limit', () => {
    const roots = fixture({ 'proc/self/cgroup': '0::/app\n', 'sys/fs/cgroup/app/cpu.max': 'max 100000\n' });
    assert.equal(cpuQuotaFrom(roots), undefined);
  });

  test('a parent cgroup with a smaller limit wins', () => {
    const roots = fixture({
      'proc/self/cgroup': '0::/kubepods/pod1/ctr\n',
      'sys/fs/cgroup/kubepods/pod1/ctr/cpu.max': 'max 100000\n',
      'sys/fs/cgroup/kubepods/pod1/cpu.max': '300000 100000\n',
      'sys/fs/cgroup/kubepods/cpu.max': '800000 100000\n',
    });
    assert.equal(cpuQuotaFrom(roots), 3);
  });
});

describe('cpuQuotaFrom, cgroup v1', () => {
  test('quota -1 means no limit', () => {
    const roots = fixture({
      'proc/self/cgroup': '4:cpu,cpuacct:/docker/abc\n3:memory:/docker/abc\n',
      'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '-1\n',
      'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
    });
    assert.equal(cpuQuotaFrom(roots), undefined);
  });

  test('50000 / 100000 (half a CPU) is 1', () => {
    const roots = fixture({
      'proc/self/cgroup': '2:cpu:/job\n',
      'sys/fs/cgroup/cpu/job/cpu.cfs_quota_us': '50000\n',
      'sys/fs/cgroup/cpu/job/cpu.cfs_period_us': '100000\n',
    });
    assert.equal(cpuQuotaFrom(roots), 1);
  });

  test('the quota at the mount root counts (a container sees its own cgroup there)', () => {
    const roots = fixture({
      'proc/self/cgroup': '4:cpuacct,cpu:/docker/abc\n',
      'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '400000\n',
      'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
    });
    assert.equal(cpuQuotaFrom(roots), 4);
  });
});

describe('cpuQuotaFrom, unreadable', () => {
  test('no /proc/self/cgroup means no limit', () => {
    assert.equal(cpuQuotaFrom(fixture({})), undefined);
  });

  test('a cgroup whose files are missing means no limit', () => {
    assert.equal(cpuQuotaFrom(fixture({ 'proc/self/cgroup': '0::/gone\n1:cpu:/gone\n' })), undefined);
  });
});

describe('cpuCount', () => {
  test('is a positive integer', () => {
    const count = cpuCount();
    assert.ok(Number.isInteger(count) && count >= 1, `cpuCount() = ${count}`);
  });

  test('under taskset -c 0 it is 1', (t) => {
    const moduleUrl = pathToFileURL(fileURLToPath(new URL('../../src/cpu/cpu-count.ts', import.meta.url))).href;
    const code = `const { cpuCount } = await import(${JSON.stringify(moduleUrl)}); console.log(cpuCount());`;
    const args = ['-c', '0', process.execPath, '--import', 'tsx', '--input-type=module', '-e', code];
    const child = spawnSync('taskset', args, { encoding: 'utf8' });
    if ((child.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return t.skip('taskset is not installed');
    // taskset fails (status 1, no node output) when CPU 0 is outside this process's cpuset.
    if (child.status !== 0 && child.stdout === '') return t.skip(`taskset -c 0 failed: ${child.stderr.trim()}`);
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), '1');
  });
});
