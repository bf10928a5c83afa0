// What a process that only uses proxies loads: the built modules' runtime imports, walked from
// the modules a child needs to rebuild and use a proxy. The server's modules load only in the
// manager process; the managers' modules import one another without a cycle.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const dist = dirname(createRequire(import.meta.url).resolve('multiproc'));
const SERVER_ONLY = ['server.js', 'object-table.js', 'factories.js', 'shared-calls.js', 'managed-types.js', 'exposed.js'].map((name) => join(dist, 'managers', name));

/** The relative modules `file` imports at run time (compiled output: type-only imports are gone). */
function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const found: string[] = [];
  const statements = /^(?:import|export)\b[^;'"]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|^import\s*['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const match of source.matchAll(statements)) found.push(resolve(dirname(file), (match[1] ?? match[2])!));
  return found;
}

function reachableFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    stack.push(...importsOf(file));
  }
  return seen;
}

for (const entry of ['proxy-record.js', 'client.js', 'proxy.js', 'manager.js']) {
  test(`managers/${entry} does not load the manager server's modules`, () => {
    const loaded = reachableFrom(join(dist, 'managers', entry));
    const server = SERVER_ONLY.filter((file) => loaded.has(file)).map((file) => relative(dist, file));
    assert.deepEqual(server, []);
  });
}

test('the modules of managers/ import one another without a cycle', () => {
  const folder = join(dist, 'managers');
  const inFolder = (file: string) => dirname(file) === folder;
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return;
    assert.notEqual(state.get(file), 'open', `an import cycle: ${[...path, file].map((f) => relative(folder, f)).join(' -> ')}`);
    state.set(file, 'open');
    for (const next of importsOf(file).filter(inFolder)) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const name of ['manager.js', 'server.js', 'proxy-record.js', 'client.js']) visit(join(folder, name), []);
});
