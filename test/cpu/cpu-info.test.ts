// parseCpuInfo on fixture /proc/cpuinfo texts (2 sockets with hyper-threading, ARM without
// topology), and cpuInfo() on this host.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cpuInfo, parseCpuInfo } from '../../src/cpu/cpu-info.ts';

const root = mkdtempSync(join(tmpdir(), 'multiproc-cpu-info-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** One /proc/cpuinfo entry in the kernel's x86 layout. */
function x86Entry(processor: number, socket: number, core: number, mhz: number): string {
  return [
    `processor\t: ${processor}`,
    'vendor_id\t: GenuineIntel',
    'model name\t: Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz',
    `cpu MHz\t\t: ${mhz}`,
    'cache size\t: 512 KB',
    `physical id\t: ${socket}`,
    'siblings\t: 4',
    `core id\t\t: ${core}`,
    'cpu cores\t: 2',
    'flags\t\t: fpu vme sse sse2 avx2',
    '',
  ].join('\n');
}

/** Round-trips through a file so the parser sees exactly what a read of /proc/cpuinfo gives. */
function viaFile(name: string, text: string): string {
  writeFileSync(join(root, name), text);
  return readFileSync(join(root, name), 'utf8');
}

describe('parseCpuInfo', () => {
  // 2 sockets x 2 cores x 2 hyper-threads = 8 processors.
  const entries = [0, 1, 2, 3, 4, 5, 6, 7].map((p) => x86Entry(p, p >> 2, (p >> 1) & 1, p % 2 ? 2000 : 2100.5));
  const info = parseCpuInfo(viaFile('two-sockets', `${entries.join('\n')}\n`));

  test('counts processors, cores and sockets of a 2-socket machine', () => {
    assert.equal(info.processors, 8);
    assert.equal(info.sockets, 2);
    assert.equal(info.cores, 4);
  });

  test('reads model, flags, average clock and cache size in bytes', () => {
    assert.equal(info.model, 'Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz');
    assert.deepEqual(info.flags, ['fpu', 'vme', 'sse', 'sse2', 'avx2']);
    assert.equal(info.mhz, 2050.3);
    assert.equal(info.cacheSize, 524288);
  });

  test('without physical or core ids: one socket, one core per processor', () => {
    const arm = '0 1 2 3'.split(' ').map((p) => `processor\t: ${p}\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\n`);
    const parsed = parseCpuInfo(viaFile('arm', arm.join('\n')));
    assert.deepEqual(
      { processors: parsed.processors, cores: parsed.cores, sockets: parsed.sockets, mhz: parsed.mhz, cacheSize: parsed.cacheSize },
      { processors: 4, cores: 4, sockets: 1, mhz: 0, cacheSize: 0 },
    );
    assert.deepEqual(parsed.flags, ['fp', 'asimd']);
    assert.equal(parsed.model, '');
  });

  test('empty text has no processors', () => {
    assert.equal(parseCpuInfo('').processors, 0);
  });
});

describe('cpuInfo', () => {
  test('describes this host consistently', () => {
    const info = cpuInfo();
    assert.ok(info.processors >= 1);
    assert.ok(info.sockets >= 1 && info.sockets <= info.processors);
    assert.ok(info.cores >= info.sockets && info.cores <= info.processors);
  });
});
