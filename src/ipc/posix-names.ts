// The names of POSIX IPC objects (message queues, named semaphores), checked in one place before
// any reaches the kernel: "/" then 1 or more bytes without "/" (mq_overview(7), sem_overview(7)).
// A name also arrives from other processes inside a handle record; the same check applies.

import { invalidType, invalidValue } from '../base/validate.js';

/** NAME_MAX: the longest file name, in bytes; a queue's name (after "/") may use all of it. */
export const QUEUE_NAME_MAX_BYTES = 255;
/** glibc keeps a named semaphore as /dev/shm/sem.<name>: its name has 4 bytes fewer. */
export const SEMAPHORE_NAME_MAX_BYTES = 251;

/** Why `name` is not a POSIX IPC name of at most `maxBytes` bytes after its "/"; null when it is one. */
export function posixNameProblem(name: string, maxBytes: number): string | null {
  if (!name.startsWith('/')) return 'it must start with "/"';
  const rest = name.slice(1);
  if (rest.length === 0) return 'it needs at least one character after "/"';
  if (rest.includes('/')) return 'it may hold no "/" after the first';
  if (rest.includes('\0')) return 'it may hold no NUL character';
  if (rest === '.' || rest === '..') return 'it may not be "/." or "/.."';
  const bytes = Buffer.byteLength(rest, 'utf8');
  if (bytes > maxBytes) return `it may hold at most ${maxBytes} bytes after "/" (this one has ${bytes})`;
  return null;
}

/** Checks a name given to `where` ("PosixMessageQueue") and returns it. */
export function checkPosixName(where: string, name: unknown, maxBytes: number): string {
  if (typeof name !== 'string') throw invalidType(`${where}: "name"`, `a string such as "/jobs"`, name);
  const problem = posixNameProblem(name, maxBytes);
  if (problem !== null) {
    throw invalidValue(`${where}: "name"`, `"/" followed by 1 to ${maxBytes} bytes without "/"`, name, `${problem[0].toUpperCase()}${problem.slice(1)}.`);
  }
  return name;
}
