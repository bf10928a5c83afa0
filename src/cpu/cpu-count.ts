// cpuCount: how many CPUs this process may actually use, which is what a pool should size to.
// It is the smaller of the CPU affinity mask (taskset, cpusets) and the cgroup CPU quota
// (docker --cpus, Kubernetes limits), because os.cpus() reports the host's CPUs and ignores both.
// Python's os.process_cpu_count() sees affinity only; the quota is what containers set.

import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';

/** Where to read procfs and sysfs from; tests point these at fixture directories. */
export interface CpuRoots {
  proc: string;
  sys: string;
}

/** One line of /proc/self/cgroup: `hierarchy-id:controller,list:/path`. */
interface CgroupLine {
  controllers: string[];
  path: string;
}

/** File contents, or undefined on any error: a missing or unreadable file means "no limit". */
function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function parseCgroupFile(text: string): CgroupLine[] {
  const lines: CgroupLine[] = [];
  for (const line of text.split('\n')) {
    // The path may itself contain ':', so split on the first two only.
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    lines.push({ controllers: controllers ? controllers.split(',') : [], path: line.slice(second + 1) });
  }
  return lines;
}

/** `path` and each parent up to `/`: a limit set on any ancestor also binds this cgroup. */
function selfAndAncestors(path: string): string[] {
  // normalize() also folds the `/../..` a process outside its cgroup namespace may see.
  let dir = posix.normalize(`/${path.trim()}`);
  const dirs = [dir];
  while (dir !== '/') {
    dir = posix.dirname(dir);
    dirs.push(dir);
  }
  return dirs;
}

function smallest(values: (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length > 0 ? Math.min(...defined) : undefined;
}

/** quota/period as CPUs, or undefined when either is absent, unlimited or nonsense. */
function ratio(quota: string | undefined, period: string | undefined): number | undefined {
  const q = Number(quota?.trim());
  const p = Number(period?.trim());
  // v2 writes "max" and v1 writes -1 for "no quota"; both fail the q > 0 test.
  return Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0 ? q / p : undefined;
}

/** cgroup v2: `cpu.max` holds "<quota|max> <period>". */
function v2Limit(sys: string, path: string): number | undefined {
  const limits = selfAndAncestors(path).map((dir) => {
    const text = readText(posix.join(sys, 'fs/cgroup', dir, 'cpu.max'));
    const [quota, period] = text?.trim().split(/\s+/) ?? [];
    return ratio(quota, period);
  });
  return smallest(limits);
}

/** The directories the v1 cpu controller may be mounted at, co-mounted or alone. */
function v1MountDirs(controllers: string[]): string[] {
  return [...new Set([controllers.join(','), 'cpu', 'cpu,cpuacct', 'cpuacct,cpu'])];
}

/** cgroup v1: `cpu.cfs_quota_us` / `cpu.cfs_period_us`, quota -1 meaning none. */
function v1Limit(sys: string, line: CgroupLine): number | undefined {
  const limits: (number | undefined)[] = [];
  for (const mount of v1MountDirs(line.controllers)) {
    // Inside a container the mount root is usually the container's own cgroup, so the root
    // counts as well as the host-side path, which often does not exist there.
    for (const dir of selfAndAncestors(line.path)) {
      const base = posix.join(sys, 'fs/cgroup', mount, dir);
      limits.push(ratio(readText(`${base}/cpu.cfs_quota_us`), readText(`${base}/cpu.cfs_period_us`)));
    }
  }
  return smallest(limits);
}

/**
 * The cgroup CPU quota of this process as a whole number of CPUs (rounded up, at least 1), or
 * undefined when there is none or it cannot be read. Internal; exported for tests.
 *
 * @param roots - where procfs and sysfs are mounted (default `/proc` and `/sys`).
 */
export function cpuQuotaFrom(roots: CpuRoots = { proc: '/proc', sys: '/sys' }): number | undefined {
  const text = readText(posix.join(roots.proc, 'self/cgroup'));
  if (text === undefined) return undefined;
  const lines = parseCgroupFile(text);
  // Hybrid hosts list both a v2 line and v1 controllers, so consult both and keep the tighter.
  const v2 = lines.find((l) => l.controllers.length === 0);
  const v1 = lines.find((l) => l.controllers.includes('cpu'));
  const limit = smallest([v2 && v2Limit(roots.sys, v2.path), v1 && v1Limit(roots.sys, v1)]);
  return limit === undefined ? undefined : Math.max(1, Math.ceil(limit));
}

/**
 * The number of CPUs this process may use: the smaller of its CPU affinity
 * (`os.availableParallelism()`, which honours `sched_getaffinity`) and its cgroup CPU quota
 * rounded up; always at least 1. Read afresh on each call, since both can change at run time.
 *
 * @example
 * const pool = new Pool({ processes: cpuCount() });
 */
export function cpuCount(): number {
  const quota = cpuQuotaFrom() ?? Number.POSITIVE_INFINITY;
  return Math.max(1, Math.min(availableParallelism(), quota));
}
