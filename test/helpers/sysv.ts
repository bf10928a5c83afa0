// What the System V tests share: keys of their own (so nothing another run or program made is
// touched), the kernel's list of objects (/proc/sysvipc) to prove none of ours is left behind,
// and peers: a plain Node program and Python programs (ctypes, and Debian's sysv_ipc).
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadNative } from '../../src/native/loader.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

export const skipWithoutAddon: string | false = loadNative() ? false : 'the native addon is unavailable';

function works(executable: string, code: string): boolean {
  try {
    return spawnSync(executable, ['-c', code], { stdio: 'ignore', timeout: 30_000 }).status === 0;
  } catch {
    return false;
  }
}

/** python3 from PATH, with ctypes. */
export const skipWithoutPython: string | false =
  skipWithoutAddon || (works('python3', 'import ctypes') ? false : 'python3 (with ctypes) is not installed');

/** Debian's python3-sysv-ipc, which imports only under /usr/bin/python3. */
export const skipWithoutSysvIpc: string | false =
  skipWithoutAddon || (works('/usr/bin/python3', 'import sysv_ipc') ? false : "/usr/bin/python3 cannot import sysv_ipc (Debian's python3-sysv-ipc)");

type Kind = 'msg' | 'sem' | 'shm';
const keysUsed = new Set<number>();
const idsUsed: Record<Kind, Set<number>> = { msg: new Set(), sem: new Set(), shm: new Set() };

/** A key no other test or run uses (random, never IPC_PRIVATE), remembered for leftovers(). */
export function uniqueKey(): number {
  let key = 0;
  while (key === 0 || keysUsed.has(key)) key = ((process.pid & 0x7fff) << 16) ^ randomInt(1, 2 ** 31 - 1);
  keysUsed.add(key | 0);
  return key | 0;
}

/** Remembers a key made from uniqueKey's (its negative form, say). */
export function usedKey(key: number): number {
  keysUsed.add(key | 0);
  return key | 0;
}

/** Remembers a private object's id (its key is IPC_PRIVATE, shared by all of them). */
export function usedId(kind: Kind, id: number): void {
  idsUsed[kind].add(id);
}

/** The objects of one kind that the kernel holds now, as "key/id" (from /proc/sysvipc). */
function objectsOf(kind: Kind): { key: number; id: number }[] {
  const lines = readFileSync(`/proc/sysvipc/${kind}`, 'latin1').trim().split('\n').slice(1);
  return lines.map((line) => {
    const [key, id] = line.trim().split(/\s+/).map(Number);
    return { key: key | 0, id };
  });
}

/** Objects made by these tests that the kernel still holds: should be none once the tests ran. */
export function leftovers(): string[] {
  const found: string[] = [];
  for (const kind of ['msg', 'sem', 'shm'] as const) {
    for (const { key, id } of objectsOf(kind)) {
      if (keysUsed.has(key) || (key === 0 && idsUsed[kind].has(id))) found.push(`${kind} key ${key} id ${id}`);
    }
  }
  return found;
}

/** Runs a Node program (ESM, `-e`) that can import 'multiproc/ipc', and returns its stdout. */
export async function runNode(program: string, args: string[] = []): Promise<string> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', program, ...args], { cwd: root, timeout: 60_000 });
  return stdout;
}

/** Starts a Node program as runNode does, for tests that talk to it or kill it. */
export function startNode(program: string, args: string[] = []): ChildProcess {
  return spawn(process.execPath, ['--input-type=module', '-e', program, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Resolves with the first line a started program prints (it says it is ready). */
export async function firstLine(child: ChildProcess): Promise<string> {
  let text = '';
  for await (const chunk of child.stdout!) {
    text += String(chunk);
    const end = text.indexOf('\n');
    if (end >= 0) return text.slice(0, end);
  }
  assert.fail(`the program ended before printing a line (printed ${JSON.stringify(text)})`);
}

/** Kills a started program (if still running) and waits for its end. */
export async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const ended = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await ended;
}

/** Runs a Python program with arguments and returns its stdout. */
export async function runPython(executable: 'python3' | '/usr/bin/python3', program: string, args: string[] = []): Promise<string> {
  const { stdout } = await run(executable, ['-c', program, ...args], { timeout: 60_000 });
  return stdout;
}

/** Python's libc through ctypes, with the System V calls typed (prefix of the ctypes programs). */
export const CTYPES_PRELUDE = `
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
c_int, c_long, c_size_t, c_ssize_t, c_void_p, c_short, c_ushort = ctypes.c_int, ctypes.c_long, ctypes.c_size_t, ctypes.c_ssize_t, ctypes.c_void_p, ctypes.c_short, ctypes.c_ushort
libc.ftok.argtypes = [ctypes.c_char_p, c_int]; libc.ftok.restype = c_int
libc.msgget.argtypes = [c_int, c_int]; libc.msgget.restype = c_int
libc.msgsnd.argtypes = [c_int, c_void_p, c_size_t, c_int]; libc.msgsnd.restype = c_int
libc.msgrcv.argtypes = [c_int, c_void_p, c_size_t, c_long, c_int]; libc.msgrcv.restype = c_ssize_t
libc.semget.argtypes = [c_int, c_int, c_int]; libc.semget.restype = c_int
libc.semop.argtypes = [c_int, c_void_p, c_size_t]; libc.semop.restype = c_int
libc.semctl.argtypes = [c_int, c_int, c_int]; libc.semctl.restype = c_int
libc.shmget.argtypes = [c_int, c_size_t, c_int]; libc.shmget.restype = c_int
libc.shmat.argtypes = [c_int, c_void_p, c_int]; libc.shmat.restype = c_void_p
libc.shmdt.argtypes = [c_void_p]; libc.shmdt.restype = c_int
def check(result, call):
    if result == -1 or result is None:
        raise OSError(ctypes.get_errno(), call)
    return result
`;
