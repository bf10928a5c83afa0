// The one reader of /proc/<pid>/stat: a name (field 2) may hold spaces and parentheses, and a
// process's entry vanishes once it is reaped. Checked on crafted lines and on a real process
// whose name is made to look like fields.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { isProcessAlive, isThreadAlive } from '../../src/base/liveness.ts';
import { parseProcStat, readProcStat, startTimeOf } from '../../src/base/proc-stat.ts';
import { killAfter } from '../helpers/processes.ts';

/** A stat line as the kernel writes it, with fields 4..21 as zeros. */
const statLine = (name: string, state: string, startTicks: string) => `4242 (${name}) ${state} ${Array(18).fill('0').join(' ')} ${startTicks} 1000 0\n`;

test('the fields are read after the last parenthesis, whatever the name holds', () => {
  assert.deepEqual(parseProcStat(statLine('node', 'S', '123')), { state: 'S', startTicks: '123' });
  assert.deepEqual(parseProcStat(statLine('a) Z 1 (b', 'R', '98765432109')), { state: 'R', startTicks: '98765432109' });
  assert.deepEqual(parseProcStat(statLine(') ) )', 'Z', '7')), { state: 'Z', startTicks: '7' });
});

test('text that is not a whole stat line reads as no process', () => {
  for (const text of ['', '4242 (node', '4242 (node) S 1 2', statLine('node', 'S', 'x12'), statLine('node', 'SS', '12')]) {
    assert.equal(parseProcStat(text), null, JSON.stringify(text));
  }
});

test('a missing process or thread reads as null, never as an error', () => {
  assert.equal(readProcStat('/proc/0/stat'), null);
  assert.equal(startTimeOf(0), null);
  assert.equal(startTimeOf(-1), null);
  assert.equal(startTimeOf(Number.NaN), null);
});

test('a real process named like fields gives its own state and start time, and none once it is reaped', async (t) => {
  const title = 'p) Z 1 2 (q)';
  const child = killAfter(t, spawn(process.execPath, ['-e', `process.title = ${JSON.stringify(title)}; console.log('named'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const exited = once(child, 'exit');
  await once(child.stdout!, 'data');
  const pid = child.pid!;
  const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const prefix = `${pid} (${title}) `;
  assert.ok(text.startsWith(prefix), text);
  // Counted from the known name, independently of the parser.
  const expected = text.slice(prefix.length).split(' ')[19];
  assert.equal(startTimeOf(pid), expected);
  assert.notEqual(readProcStat(`/proc/${pid}/stat`)?.state, 'Z');
  assert.equal(isProcessAlive(pid), true);
  assert.equal(isThreadAlive(pid, Number(expected) >>> 0), true);
  assert.equal(isThreadAlive(pid, (Number(expected) + 1) >>> 0), false, 'another start time is another process');
  child.kill('SIGKILL');
  await exited;
  assert.notEqual(startTimeOf(pid), expected, 'a reaped process has no stat (or its pid now names another process)');
  assert.equal(isThreadAlive(pid, Number(expected) >>> 0), false);
});
