// What the System V tests share: keys of their own (so nothing another run or program made is
// touched), the kernel's list of objects (/proc/sysvipc) to prove none of ours is left behind,
// when their Python peers (peers.ts) can run (ctypes, and Debian's sysv_ipc), and the ctypes
// prelude of those programs.
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadNative } from '../../src/native/loader.ts';
import { pythonMissing } from './peers.ts';

export const skipWithoutAddon: string | false = loadNative() ? false : 'the native addon is unavailable';

/** python3 from PATH, with ctypes. */
export const skipWithoutPython: string | false = skipWithoutAddon || pythonMissing('python3', 'ctypes') || false;

/** Debian's python3-sysv-ipc, which imports only under /usr/bin/python3. */
export const skipWithoutSysvIpc: string | false =
  skipWithoutAddon || (pythonMissing('/usr/bin/python3', 'sysv_ipc') ? "/usr/bin/python3 cannot import sysv_ipc (Debian's python3-sysv-ipc)" : false);

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
