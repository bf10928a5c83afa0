// The `multiproc` command run as a child process, as built (dist/cli.js, the package's bin):
// `cpuinfo`, `--help`, and an unknown command.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['dist/cli.js', ...args], { cwd: projectRoot, encoding: 'utf8' });
}

describe('multiproc cli', () => {
  test('cpuinfo prints as many processors as /proc/cpuinfo lists', (t) => {
    const result = cli('cpuinfo');
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^usable \(cpuCount\): [1-9]\d*$/m);
    if (!existsSync('/proc/cpuinfo')) return t.skip('no /proc/cpuinfo to compare with');
    const expected = readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s*:/gm)?.length;
    assert.match(result.stdout, new RegExp(`^processors: ${expected}$`, 'm'));
  });

  for (const flag of ['--help', '-h']) {
    test(`${flag} lists the commands`, () => {
      const result = cli(flag);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /^ {2}cpuinfo\s/m);
    });
  }

  test('no arguments prints the help', () => {
    const result = cli();
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /cpuinfo/);
  });

  test('an unknown command names it, prints the help to stderr and exits 2', () => {
    const result = cli('frobnicate');
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /unknown command 'frobnicate'/);
    assert.match(result.stderr, /cpuinfo/);
  });
});
