// cpuInfo: what `cat /proc/cpuinfo` tells a person, parsed: model, logical processors,
// physical cores, sockets, clock, flags and cache. Where /proc/cpuinfo is missing (macOS,
// Windows, a sandbox without /proc) it falls back to the thinner os.cpus().

import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** The host's processors, as /proc/cpuinfo describes them. */
export interface CpuInfo {
  /** Model name, e.g. `"AMD EPYC 7B13"`. */
  model: string;
  /** Logical processors: the `processor` entries of /proc/cpuinfo. */
  processors: number;
  /** Physical cores (fewer than `processors` with hyper-threading). */
  cores: number;
  /** CPU packages: distinct `physical id`s, 1 when the kernel does not say. */
  sockets: number;
  /** Average current clock of all processors in MHz, to 1 decimal; 0 when unknown. */
  mhz: number;
  /** Feature flags such as `avx2`, `sse4_2` (`Features` on ARM). */
  flags: string[];
  /** Cache size as the kernel reports it (per processor), in bytes; 0 when unknown. */
  cacheSize: number;
}

/** One processor's `key: value` lines. */
type Entry = Map<string, string>;

const UNIT_BYTES: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

/** Splits the text into one entry per `processor`; each starts at its `processor` line. */
function entries(text: string): Entry[] {
  const list: Entry[] = [];
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at < 0) continue;
    const key = line.slice(0, at).trim();
    // Keys are case-sensitive: old ARM kernels also print a global "Processor : <model>" line.
    if (key === 'processor') list.push(new Map());
    list.at(-1)?.set(key, line.slice(at + 1).trim());
  }
  return list;
}

/** The first processor that has `keys[i]`, trying each key in turn (x86 and ARM differ). */
function field(list: Entry[], ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = list.find((entry) => entry.has(key))?.get(key);
    if (value !== undefined) return value;
  }
  return undefined;
}

function countSockets(list: Entry[]): number {
  const ids = new Set(list.map((entry) => entry.get('physical id')).filter((id) => id !== undefined));
  return Math.max(1, ids.size);
}

/** Distinct (socket, core) pairs; else `cpu cores` per socket; else one core per processor. */
function countCores(list: Entry[], sockets: number): number {
  const withCore = list.filter((entry) => entry.has('core id'));
  // Core ids restart at 0 on each socket, so a core is only unique together with its socket.
  const pairs = new Set(withCore.map((entry) => `${entry.get('physical id')}/${entry.get('core id')}`));
  if (pairs.size > 0) return pairs.size;
  const perSocket = Number(field(list, 'cpu cores'));
  return perSocket > 0 ? perSocket * sockets : list.length;
}

function averageMhz(list: Entry[]): number {
  const values = list.map((entry) => Number(entry.get('cpu MHz'))).filter((mhz) => mhz > 0);
  if (values.length === 0) return 0;
  const mean = values.reduce((sum, mhz) => sum + mhz, 0) / values.length;
  return Math.round(mean * 10) / 10;
}

/** `"512 KB"` to 524288; a bare number is taken as bytes. */
function parseSize(text: string | undefined): number {
  const match = /^([\d.]+)\s*([KMG]?B)?$/i.exec(text?.trim() ?? '');
  if (!match) return 0;
  return Math.round(Number(match[1]) * (UNIT_BYTES[(match[2] ?? 'B').toUpperCase()] ?? 1));
}

/**
 * Parses the text of /proc/cpuinfo. Internal; exported for tests.
 *
 * @example
 * parseCpuInfo('processor\t: 0\nmodel name\t: Example CPU\ncache size\t: 512 KB\n').cacheSize; // 524288
 */
export function parseCpuInfo(text: string): CpuInfo {
  const list = entries(text);
  const sockets = countSockets(list);
  return {
    model: field(list, 'model name', 'Model', 'cpu model') ?? '',
    processors: list.length,
    cores: countCores(list, sockets),
    sockets,
    mhz: averageMhz(list),
    flags: (field(list, 'flags', 'Features') ?? '').split(/\s+/).filter(Boolean),
    cacheSize: parseSize(field(list, 'cache size')),
  };
}

/** What Node knows without /proc: model, count and nominal speed, nothing about topology. */
function fromOs(): CpuInfo {
  const list = cpus();
  const count = Math.max(1, list.length);
  return { model: list[0]?.model ?? '', processors: count, cores: count, sockets: 1, mhz: list[0]?.speed ?? 0, flags: [], cacheSize: 0 };
}

function readCpuInfo(): CpuInfo | undefined {
  try {
    const parsed = parseCpuInfo(readFileSync('/proc/cpuinfo', 'utf8'));
    // A file with no `processor` entries is as good as none.
    return parsed.processors > 0 ? parsed : undefined;
  } catch {
    return undefined; // not Linux, or /proc not mounted or not readable
  }
}

/**
 * The host's processors as /proc/cpuinfo describes them, or what `os.cpus()` knows where there
 * is no /proc/cpuinfo. These are the machine's CPUs; for how many this process may use (affinity
 * and container quota applied) see `cpuCount()`.
 *
 * @example
 * const { model, processors, cores, sockets } = cpuInfo();
 * console.log(`${model}: ${sockets} socket(s), ${cores} cores, ${processors} threads`);
 */
export function cpuInfo(): CpuInfo {
  const parsed = readCpuInfo();
  if (!parsed) return fromOs();
  // arm64 kernels often omit the model name and clock; os.cpus() may still know them.
  const os = parsed.model && parsed.mhz ? undefined : fromOs();
  return { ...parsed, model: parsed.model || os?.model || '', mhz: parsed.mhz || os?.mhz || 0 };
}
