// Runs a self-contained script as user nobody (another account of this machine), for tests of
// what a foreign user can do to multiproc's servers. Only root can switch users: elsewhere the
// tests that need it are skipped with the reason canRunAsNobody() gives.

import { spawn, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ForeignRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const SETPRIV = ['--reuid=nobody', '--regid=nogroup', '--clear-groups'];

/** Null when scripts can run as nobody here; otherwise why not (a skip message). */
export function canRunAsNobody(): string | null {
  if (process.platform !== 'linux') return 'cross-user tests need Linux (setpriv)';
  if (process.getuid?.() !== 0) return 'cross-user tests need the suite to run as root (to switch to user nobody)';
  const probe = spawnSync('setpriv', [...SETPRIV, process.execPath, '-e', 'process.stdout.write(String(process.getuid()))'], { encoding: 'utf8' });
  if (probe.error) return `cross-user tests need setpriv (util-linux): ${probe.error.message}`;
  if (probe.status !== 0 || probe.stdout === '0' || probe.stdout === '') {
    return `cross-user tests could not run node as nobody (exit ${probe.status}): ${probe.stderr.trim().slice(0, 200)}`;
  }
  return null;
}

/**
 * Writes `source` (an ES module that imports only node: builtins) to a fresh temporary directory
 * that nobody can read, runs it there as nobody with `args`, and removes the directory. `signal`
 * kills the script (for a test's cleanup).
 */
export function runAsNobody(source: string, args: readonly string[] = [], signal?: AbortSignal): Promise<ForeignRun> {
  const directory = mkdtempSync(join(tmpdir(), 'multiproc-foreign-'));
  const script = join(directory, 'attack.mjs');
  writeFileSync(script, source);
  chmodSync(directory, 0o755);
  chmodSync(script, 0o644);
  accessSync(script, constants.R_OK);
  return new Promise((resolve, reject) => {
    const child = spawn('setpriv', [...SETPRIV, process.execPath, script, ...args], { cwd: directory, stdio: ['ignore', 'pipe', 'pipe'], signal });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const cleanup = (): void => rmSync(directory, { recursive: true, force: true });
    child.once('error', (error) => {
      cleanup();
      reject(error);
    });
    child.once('close', (code) => {
      cleanup();
      resolve({ code, stdout, stderr });
    });
  });
}
