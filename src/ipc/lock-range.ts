// lockRange: byte-range locks on an open file (Python's fcntl.lockf), as open-file-description
// locks (F_OFD_SETLKW; file-lock.cc says why not classic POSIX ones). They conflict with the
// lockf/fcntl locks of other processes and with OFD locks taken through other descriptions; the
// wait runs on a waiting thread, ended by a timeout or an abort with nothing held.

import { fstatSync } from 'node:fs';
import { checkSignal, throwIfAborted } from '../base/abort.js';
import { blockingCall } from '../base/blocking-call.js';
import { checkInteger, checkOptionsObject, checkTimeout, invalidType, outOfRange } from '../base/validate.js';
import type { NativeBinding } from '../native/binding.js';
import { requireNative } from '../native/loader.js';

export interface LockRangeOptions {
  /** A shared (read) lock, F_RDLCK; else exclusive (write), F_WRLCK. @default false */
  shared?: boolean;
  /** Give up after this many ms: rejects with TimeoutError, holding nothing. @default wait forever */
  timeout?: number | null;
  /** Abort the wait: rejects with `signal.reason`, holding nothing. */
  signal?: AbortSignal | null;
}

/** A held byte range. */
export interface RangeLock extends Disposable {
  /** Releases the range; idempotent. Nothing to do once the fd was closed: its locks went with it. */
  unlock(): void;
  readonly offset: number;
  /** 0: from `offset` to the end of the file, however far it grows. */
  readonly length: number;
  readonly shared: boolean;
}

/** An fd, or something holding one (a node:fs/promises FileHandle). */
export type LockableFile = number | { readonly fd: number };

const LARGEST_FD = 2 ** 31 - 1;

function checkFd(file: unknown): number {
  const where = 'lockRange: "fd"';
  const fd = typeof file === 'object' && file !== null && 'fd' in file ? (file as { fd: unknown }).fd : file;
  if (typeof fd !== 'number') throw invalidType(where, 'a file descriptor (an integer) or a FileHandle', file);
  if (fd === -1 && fd !== file) throw outOfRange(where, 'an open FileHandle', file, 'This FileHandle was closed.');
  if (!Number.isInteger(fd) || fd < 0 || fd > LARGEST_FD) throw outOfRange(where, `a file descriptor from 0 to ${LARGEST_FD}`, fd);
  return fd;
}

function checkOffset(where: string, value: unknown): number {
  const offset = checkInteger(where, value, 0);
  if (!Number.isSafeInteger(offset)) throw outOfRange(where, `an integer from 0 to ${Number.MAX_SAFE_INTEGER}`, value);
  return offset;
}

/** Which file an fd names: unlock() acts only while the fd still names that one. */
function identityOf(fd: number): string | null {
  try {
    const status = fstatSync(fd, { bigint: true });
    return `${status.dev}:${status.ino}`;
  } catch {
    return null;
  }
}

/** The kernel's EBADF for a lock of the wrong kind says little: say which open mode it needs. */
function explained(error: unknown, exclusive: boolean): unknown {
  if ((error as NodeJS.ErrnoException).code !== 'EBADF') return error;
  const needed = exclusive ? 'for writing (an exclusive lock), e.g. "r+"' : 'for reading (a shared lock), e.g. "r"';
  (error as Error).message += `. The fd must be open ${needed}.`;
  return error;
}

/**
 * Locks bytes [offset, offset + length) of an open file (length 0: to the end of the file and
 * beyond), waiting while another holder's lock conflicts, like Python's
 * `fcntl.lockf(fd, LOCK_EX, length, offset)`. Resolves with the held range.
 *
 * The lock belongs to the fd's open file description: two ranges locked through one fd never
 * conflict (they merge, and unlocking one unlocks what they share), two fds opened separately
 * conflict as two processes do, and closing the last fd of the description releases its locks.
 *
 * @example
 * const file = await fs.promises.open('data.bin', 'r+');
 * using _ = await lockRange(file, 0, 100);   // bytes 0..99, exclusive
 */
export async function lockRange(fd: LockableFile, offset: number, length: number, options?: LockRangeOptions): Promise<RangeLock> {
  const native = requireNative('lockRange');
  const descriptor = checkFd(fd);
  const start = checkOffset('lockRange: "offset"', offset);
  const span = checkOffset('lockRange: "length"', length);
  checkOptionsObject('lockRange: "options"', options);
  const shared = options?.shared ?? false;
  if (typeof shared !== 'boolean') throw invalidType('lockRange: "shared"', 'a boolean', shared);
  const timeoutMs = checkTimeout('lockRange: "timeout"', options?.timeout);
  const signal = checkSignal('lockRange: "signal"', options?.signal);
  throwIfAborted(signal);
  const file = identityOf(descriptor);
  const subject = `fd ${descriptor}`;
  try {
    if (!native.lockRangeTry(descriptor, start, span, !shared, subject)) {
      await blockingCall<undefined>(`lockRange(fd ${descriptor}, ${start}, ${span})`, { timeoutMs, signal }, (callback) =>
        native.lockRangeWait(descriptor, start, span, !shared, subject, callback),
      );
    }
  } catch (error) {
    throw explained(error, !shared);
  }
  return heldRange(native, descriptor, file, { offset: start, length: span, shared });
}

function heldRange(native: NativeBinding, fd: number, file: string | null, range: { offset: number; length: number; shared: boolean }): RangeLock {
  let isHeld = true;
  const unlock = () => {
    if (!isHeld) return;
    isHeld = false;
    // A closed fd took its locks with it; a reused number names another file, not ours to touch.
    if (file === null || identityOf(fd) !== file) return;
    native.unlockRange(fd, range.offset, range.length, `fd ${fd}`);
  };
  return { ...range, unlock, [Symbol.dispose]: unlock };
}
