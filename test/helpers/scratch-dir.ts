// A fresh directory for a test's files (lock files, mapped files), removed when the test ends.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export function scratchDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), `mp-test-${process.pid}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** How many descriptors this process has open (a leak check: compare before and after). */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}
