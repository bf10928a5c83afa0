import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createProgress, humanCount, humanDuration } from '../../src/pool/progress.ts';

/** A terminal-like stream that keeps what was written. */
function terminal(columns: number, isTTY = true): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY, columns });
  return { stream, text: () => chunks.join('') };
}

test('the bar shows done/total and the percentage, and finish() ends the line', () => {
  const { stream, text } = terminal(60);
  const bar = createProgress(true, 1000, stream)!;
  bar.update(250);
  bar.update(512);
  bar.finish();
  const lines = text().split('\r').filter(Boolean);
  const last = lines.at(-1)!;
  assert.match(last, /512\/1000\s+51%/);
  assert.match(last, /items\/s\s+ETA /);
  assert.ok(text().endsWith('\n'));
  for (const line of lines) assert.ok(line.replace('\x1b[2K', '').trimEnd().length <= 59, `too wide: ${line}`);
});

test('lines fit a narrow terminal, and ETA reads -- before anything is done', () => {
  for (const columns of [20, 40]) {
    const { stream, text } = terminal(columns);
    const bar = createProgress(true, 1_000_000, stream)!;
    bar.update(0);
    bar.finish();
    for (const line of text().split('\r').filter(Boolean)) {
      assert.ok(line.replace('\x1b[2K', '').trimEnd().length < columns, `too wide: ${line}`);
    }
  }
  const { stream, text } = terminal(80);
  const bar = createProgress(true, 10, stream)!;
  bar.update(0);
  bar.finish();
  assert.match(text(), /0\/10\s+0%.*ETA --/);
});

test('a second finish() and updates after it write nothing more', () => {
  const { stream, text } = terminal(60);
  const bar = createProgress(true, 4, stream)!;
  bar.update(4);
  bar.finish();
  const written = text();
  bar.update(5);
  bar.finish();
  assert.equal(text(), written);
  assert.equal(written.split('\n').length, 2);
});

test('an unknown total shows a count without a percentage', () => {
  const { stream, text } = terminal(80);
  const bar = createProgress(true, undefined, stream)!;
  bar.update(1234);
  bar.finish();
  assert.match(text(), /1,234 items\s+.*items\/s/);
  assert.doesNotMatch(text(), /%/);
});

test('nothing is drawn when the stream is not a terminal', () => {
  const { stream, text } = terminal(80, false);
  const bar = createProgress(true, 10, stream)!;
  bar.update(5);
  bar.finish();
  assert.equal(text(), '');
});

test('a function receives every update with the total; false gives no reporter', () => {
  const seen: [number, number | undefined][] = [];
  const reporter = createProgress((done, total) => seen.push([done, total]), 3)!;
  reporter.update(1);
  reporter.update(3);
  assert.deepEqual(seen, [[1, 3], [3, 3]]);
  createProgress((done, total) => seen.push([done, total]), undefined)!.update(7);
  assert.deepEqual(seen.at(-1), [7, undefined]);
  assert.equal(createProgress(false, 3), undefined);
  assert.equal(createProgress(undefined, 3), undefined);
});

test('numbers and durations read as a person would write them', () => {
  assert.equal(humanCount(999), '999');
  assert.equal(humanCount(1234), '1.2k');
  assert.equal(humanCount(3_400_000), '3.4M');
  assert.equal(humanCount(999.7), '1.0k');
  assert.equal(humanCount(999_990), '1.0M');
  assert.equal(humanDuration(3), '3s');
  assert.equal(humanDuration(65), '1m05s');
  assert.equal(humanDuration(3720), '1h02m');
  assert.equal(humanDuration(Number.POSITIVE_INFINITY), '--');
});
