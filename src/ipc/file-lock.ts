// FileLock: flock(2) on a file, Python's `with open(path, 'a') as f: fcntl.flock(f, LOCK_EX)`.
// Each lock() opens the file anew (creating it owner-only when missing) and holds the lock on
// that open file description until unlock() closes it: the kernel decides who waits, whether the
// other holder is another process, Python, or another async flow of this program. Waits run on a
// waiting thread (file-lock.cc), ended by a timeout or an abort with nothing held. A FileLock
// travels to children as its path.

import { closeSync, constants, fstatSync, open, openSync } from 'node:fs';
import { promisify } from 'node:util';
import { checkSignal, throwIfAborted } from '../base/abort.js';
import { blockingCall } from '../base/blocking-call.js';
import { InvalidStateError } from '../base/errors.js';
import { checkMode, checkOptionsObject, checkTimeout, describeValue, invalidType, invalidValue } from '../base/validate.js';
import { refusedRecord } from '../memory/arena.js';
import type { NativeBinding } from '../native/binding.js';
import { requireNative } from '../native/loader.js';
import { holdWith } from '../sync/lock.js';
import { registerHandleType } from '../tasks/codec.js';
import { checkFilePath, receivedFilePath } from './file-path.js';

const openFile = promisify(open);

export interface FileLockOptions {
  /** Permission bits of the lock file when lock() creates it. @default 0o600 */
  mode?: number;
}

export interface FileLockLockOptions {
  /** A shared lock (LOCK_SH: any number of holders at once), else exclusive (LOCK_EX). @default false */
  shared?: boolean;
  /** Give up after this many ms: rejects with TimeoutError, holding nothing. @default wait forever */
  timeout?: number | null;
  /** Abort the wait: rejects with `signal.reason`, holding nothing. */
  signal?: AbortSignal | null;
}

export interface FileLockTryOptions {
  /** A shared lock (LOCK_SH), else exclusive (LOCK_EX). @default false */
  shared?: boolean;
}

interface Hold {
  readonly fd: number;
}

interface CheckedLock {
  readonly exclusive: boolean;
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
}

function checkShared(where: string, options: FileLockTryOptions | undefined): boolean {
  checkOptionsObject(`${where}: "options"`, options);
  const shared = options?.shared ?? false;
  if (typeof shared !== 'boolean') throw invalidType(`${where}: "shared"`, 'a boolean', shared);
  return shared;
}

function checkLock(where: string, options: FileLockLockOptions | undefined): CheckedLock {
  const exclusive = !checkShared(where, options);
  const timeoutMs = checkTimeout(`${where}: "timeout"`, options?.timeout);
  const signal = checkSignal(`${where}: "signal"`, options?.signal);
  throwIfAborted(signal);
  return { exclusive, timeoutMs, signal };
}

/**
 * Read-only is enough for flock, so a file this user may only read can be locked too; O_CREAT makes
 * a missing one; O_NONBLOCK keeps a FIFO found at the path from hanging the open (it is refused
 * once opened). Node adds O_CLOEXEC: a child started later does not inherit the lock.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_CREAT | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * An advisory lock on a file (flock), between any processes that lock the same path: multiproc's
 * children, unrelated programs, Python's `fcntl.flock`.
 *
 * The lock belongs to an open file description, and each lock() opens its own: two FileLocks on
 * one path in one program exclude each other as two processes would, and so do two lock() calls
 * of one FileLock. A process that dies releases its locks (the kernel closes its files).
 *
 * @example
 * const lock = new FileLock('/tmp/app.lock');
 * await using _ = await lock.hold();   // exclusive until the end of the block
 */
export class FileLock {
  readonly #native: NativeBinding;
  readonly #path: string;
  readonly #mode: number;
  /**
   * The locks held now (one when exclusive, maybe more when shared), each its descriptor. Objects,
   * not fd numbers: a number closed by unlock() may come back for a later lock, and a hold()
   * disposed afterwards must not release that one.
   */
  readonly #holds: Hold[] = [];

  /** Names the lock file; nothing is opened until lock() or tryLock(). */
  constructor(path: string | URL, options?: FileLockOptions) {
    this.#native = requireNative('FileLock');
    this.#path = checkFilePath('FileLock: "path"', path);
    checkOptionsObject('FileLock: "options"', options);
    this.#mode = checkMode('FileLock: "mode"', options?.mode);
  }

  /** The lock file's absolute path. */
  get path(): string {
    return this.#path;
  }

  /** True while this FileLock holds the lock (through lock(), tryLock() or hold()). */
  get held(): boolean {
    return this.#holds.length > 0;
  }

  /**
   * Waits for the lock: exclusive, or shared with `{ shared: true }`. Rejects with TimeoutError
   * when `timeout` runs out and with `signal.reason` on abort, holding nothing either way. Opening
   * the file fails as open(2) does (ENOENT for a missing directory, EACCES...).
   */
  async lock(options?: FileLockLockOptions): Promise<void> {
    await this.#acquire('FileLock.lock', options);
  }

  /** Takes the lock if no one holds a conflicting one (true), else returns false at once. */
  tryLock(options?: FileLockTryOptions): boolean {
    const exclusive = !checkShared('FileLock.tryLock', options);
    const fd = this.#checkedFd(openSync(this.#path, OPEN_FLAGS, this.#mode));
    try {
      if (!this.#native.flockTry(fd, exclusive, this.#subject())) {
        closeSync(fd);
        return false;
      }
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.#holds.push({ fd });
    return true;
  }

  /**
   * Releases the lock taken last (and closes its file). Throws InvalidStateError when this
   * FileLock holds nothing, as releasing an unlocked Lock does.
   */
  unlock(): void {
    const hold = this.#holds.at(-1);
    if (hold === undefined) {
      throw new InvalidStateError(`FileLock.unlock: ${this.#path} is not locked by this FileLock; unlock() must follow lock() or a tryLock() that returned true.`);
    }
    this.#release(hold);
  }

  /**
   * Waits for the lock and returns a disposable that releases it:
   * `await using _ = await lock.hold({ shared: true })`. Rejects as lock() does.
   */
  async hold(options?: FileLockLockOptions): Promise<AsyncDisposable & Disposable> {
    let hold: Hold | undefined;
    const acquirable = {
      acquire: async () => {
        hold = await this.#acquire('FileLock.hold', options);
        return true;
      },
      release: () => hold && this.#release(hold),
    };
    return holdWith('FileLock.hold', acquirable);
  }

  toString(): string {
    return `<FileLock ${JSON.stringify(this.#path)}${this.held ? ' held' : ''}>`;
  }

  async #acquire(where: string, options: FileLockLockOptions | undefined): Promise<Hold> {
    const { exclusive, timeoutMs, signal } = checkLock(where, options);
    const fd = this.#checkedFd(await openFile(this.#path, OPEN_FLAGS, this.#mode));
    try {
      const subject = this.#subject();
      if (!this.#native.flockTry(fd, exclusive, subject)) {
        await blockingCall<undefined>(`${where}(${this.#path})`, { timeoutMs, signal }, (callback) =>
          this.#native.flockWait(fd, exclusive, subject, callback),
        );
      }
    } catch (error) {
      closeSync(fd); // a lock given up holds nothing: its description goes, and any lock with it
      throw error;
    }
    const hold = { fd };
    this.#holds.push(hold);
    return hold;
  }

  /** An fd of a regular file, or it is closed and the call fails: a FIFO or device is no lock file. */
  #checkedFd(fd: number): number {
    let isFile = false;
    try {
      isFile = fstatSync(fd).isFile();
    } finally {
      if (!isFile) closeSync(fd);
    }
    if (!isFile) throw invalidValue('FileLock: "path"', 'a regular file (or a path where one can be created)', this.#path);
    return fd;
  }

  #release(hold: Hold): void {
    const at = this.#holds.indexOf(hold);
    if (at < 0) return; // released already (by unlock())
    this.#holds.splice(at, 1);
    try {
      this.#native.flockUnlock(hold.fd, this.#subject());
    } finally {
      closeSync(hold.fd); // releases the lock even if LOCK_UN failed
    }
  }

  #subject(): string {
    return JSON.stringify(this.#path);
  }

  /** @internal What a child needs to lock the same file. */
  get record(): { path: string; mode: number } {
    return { path: this.#path, mode: this.#mode };
  }
}

registerHandleType<FileLock>({
  tag: 'file-lock',
  matches: (value): value is FileLock => value instanceof FileLock,
  encode: (lock) => lock.record,
  decode: (data) => {
    const what = 'Received FileLock';
    if (typeof data !== 'object' || data === null) throw refusedRecord(what, `it must be an object, received ${describeValue(data)}`);
    const { path, mode } = data as Record<string, unknown>;
    if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o777) {
      throw refusedRecord(what, `its mode must be permission bits, received ${describeValue(mode)}`);
    }
    return new FileLock(receivedFilePath(what, path), { mode });
  },
});
