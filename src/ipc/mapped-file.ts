// MappedFile: Python's mmap over a file. The file's bytes as a Buffer: shared mappings write back
// to the file and are seen by every process that maps it (a SharedArrayBuffer underneath, so
// Atomics work across processes); private ones are copy-on-write. The mapping is guarded against
// another process truncating the file (mapped-file.cc). It travels to children as its path.

import { constants as bufferConstants } from 'node:buffer';
import { type Stats, closeSync, constants, fstatSync, ftruncateSync, openSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { blockingCall } from '../base/blocking-call.js';
import { InvalidStateError } from '../base/errors.js';
import { checkInteger, checkMode, checkOptionsObject, describeValue, invalidType, invalidValue, outOfRange } from '../base/validate.js';
import { refusedRecord } from '../memory/arena.js';
import type { NativeBinding } from '../native/binding.js';
import { requireNative } from '../native/loader.js';
import { registerHandleType } from '../tasks/codec.js';
import { checkFilePath, receivedFilePath } from './file-path.js';

export interface MappedFileOptions {
  /**
   * Bytes to map. When the mapping is writable, a file shorter than this is extended (with zeros)
   * and a missing file is created; a longer one is mapped from its start. @default the file's size
   */
  size?: number;
  /** Open the file for writing: writes to a shared mapping reach the file. @default true */
  writable?: boolean;
  /**
   * Share the mapping (MAP_SHARED): writes reach the file and every process that maps it, and
   * `buf` is over a SharedArrayBuffer. false: a private copy-on-write mapping (MAP_PRIVATE), never
   * written back, and `buf` is over an ArrayBuffer. @default true
   */
  shared?: boolean;
  /** Permission bits of a file created here. @default 0o600 */
  mode?: number;
}

interface CheckedOptions {
  readonly size: number | undefined;
  readonly writable: boolean;
  readonly shared: boolean;
  readonly mode: number;
}

function checkBoolean(where: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidType(where, 'a boolean', value);
  return value;
}

/** A length this Node can view as one buffer. */
function checkSize(where: string, value: unknown): number {
  const bytes = checkInteger(where, value, 1);
  if (bytes > bufferConstants.MAX_LENGTH) {
    throw outOfRange(where, `at most ${bufferConstants.MAX_LENGTH} bytes (buffer.constants.MAX_LENGTH, the largest buffer this Node can view)`, value);
  }
  return bytes;
}

function checkOptions(options: MappedFileOptions | undefined): CheckedOptions {
  checkOptionsObject('MappedFile.open: "options"', options);
  const size = options?.size === undefined ? undefined : checkSize('MappedFile.open: "size"', options.size);
  const writable = checkBoolean('MappedFile.open: "writable"', options?.writable, true);
  const shared = checkBoolean('MappedFile.open: "shared"', options?.shared, true);
  return { size, writable, shared, mode: checkMode('MappedFile.open: "mode"', options?.mode) };
}

/**
 * The flags of the open: O_NONBLOCK so that a FIFO put where the file was expected cannot hang
 * us (it is refused once opened), O_NOCTTY for a terminal; Node adds O_CLOEXEC. Symbolic links
 * are followed, as Python's open() follows them (Linux's fs.protected_symlinks already refuses
 * other users' links in sticky world-writable directories such as /tmp).
 */
function openFlags(options: CheckedOptions, mayCreate: boolean): number {
  const access = options.writable ? constants.O_RDWR : constants.O_RDONLY;
  const create = mayCreate && options.writable && options.size !== undefined ? constants.O_CREAT : 0;
  return access | create | constants.O_NONBLOCK | constants.O_NOCTTY;
}

/** How many bytes to map, and whether the file must first grow to that length. */
function plannedLength(path: string, status: Stats, options: CheckedOptions): { length: number; grow: boolean } {
  if (!status.isFile()) {
    throw invalidValue('MappedFile.open: "path"', 'a regular file', path, 'Only regular files can be mapped.');
  }
  const fileSize = status.size;
  if (options.size === undefined) {
    if (fileSize === 0) throw outOfRange('MappedFile.open: "size"', `given for the empty file ${path} (an empty file cannot be mapped)`, undefined, 'Pass { size } to extend it.');
    if (fileSize > bufferConstants.MAX_LENGTH) {
      throw outOfRange('MappedFile.open: "size"', `given for ${path}, whose ${fileSize} bytes are more than one buffer can view (buffer.constants.MAX_LENGTH, ${bufferConstants.MAX_LENGTH})`, undefined, 'Pass { size } to map its first bytes.');
    }
    return { length: fileSize, grow: false };
  }
  if (options.size <= fileSize) return { length: options.size, grow: false };
  if (!options.writable) {
    throw outOfRange('MappedFile.open: "size"', `at most the size of ${path} (${fileSize} bytes) for a read-only mapping`, options.size, 'Open it writable to extend the file.');
  }
  return { length: options.size, grow: true };
}

/**
 * A file mapped into memory.
 *
 * @example
 * await using file = await MappedFile.open('counter.bin', { size: 8 });
 * Atomics.add(new Int32Array(file.buf.buffer), 0, 1);   // seen at once by every process mapping it
 */
export class MappedFile {
  readonly #native: NativeBinding;
  readonly #path: string;
  readonly #options: CheckedOptions;
  #mapping: SharedArrayBuffer | ArrayBuffer | null;
  #buffer: Buffer | null;

  /** Use MappedFile.open(). */
  private constructor(native: NativeBinding, path: string, options: CheckedOptions, mapping: SharedArrayBuffer | ArrayBuffer) {
    this.#native = native;
    this.#path = path;
    this.#options = options;
    this.#mapping = mapping;
    this.#buffer = Buffer.from(mapping);
  }

  /**
   * Opens and maps a file (Python's `mmap.mmap(f.fileno(), size)`). Rejects when the file is
   * missing (ENOENT; it is created only when writable with a `size`), not a regular file, empty
   * without `size`, or shorter than a read-only `size`.
   */
  static async open(path: string | URL, options?: MappedFileOptions): Promise<MappedFile> {
    const native = requireNative('MappedFile');
    const where = checkFilePath('MappedFile.open: "path"', path);
    const checked = checkOptions(options);
    const file = await openFile(where, openFlags(checked, true), checked.mode);
    try {
      const planned = plannedLength(where, await file.stat(), checked);
      if (planned.grow) await file.truncate(planned.length);
      return new MappedFile(native, where, checked, MappedFile.#map(native, file.fd, where, planned.length, checked));
    } finally {
      await file.close();
    }
  }

  /** @internal The same file mapped again, synchronously and never created: how a child rebuilds one it received. */
  static reopen(path: string, options: CheckedOptions): MappedFile {
    const native = requireNative('MappedFile');
    const fd = openSync(path, openFlags(options, false));
    try {
      const planned = plannedLength(path, fstatSync(fd), options);
      if (planned.grow) ftruncateSync(fd, planned.length);
      return new MappedFile(native, path, options, MappedFile.#map(native, fd, path, planned.length, options));
    } finally {
      closeSync(fd);
    }
  }

  static #map(native: NativeBinding, fd: number, path: string, length: number, options: CheckedOptions): SharedArrayBuffer | ArrayBuffer {
    // A read-only file cannot be mapped MAP_SHARED with writable pages, and V8 may write to any
    // buffer: a read-only mapping is private, its writes stay in this process.
    const writeBack = options.writable && options.shared;
    const subject = JSON.stringify(path);
    return options.shared ? native.mapFile(fd, length, writeBack, true, subject) : native.mapFile(fd, length, writeBack, false, subject);
  }

  /**
   * The mapped bytes. Shared: over a SharedArrayBuffer, a write is seen by every process mapping
   * the file (and reaches the file); private: over an ArrayBuffer of this process.
   * Throws InvalidStateError after close().
   */
  get buf(): Buffer {
    if (!this.#buffer) throw new InvalidStateError(`MappedFile(${this.#path}): buf was used after close(); open the file again.`);
    return this.#buffer;
  }

  /** The file's absolute path. */
  get path(): string {
    return this.#path;
  }

  /** The mapping's length in bytes. */
  get size(): number {
    return this.#mapping?.byteLength ?? 0;
  }

  /** Whether writes reach the file (a writable, shared mapping). */
  get writable(): boolean {
    return this.#options.writable;
  }

  /** Whether the mapping is shared (MAP_SHARED) rather than private. */
  get shared(): boolean {
    return this.#options.shared;
  }

  get closed(): boolean {
    return this.#mapping === null;
  }

  /**
   * Writes the mapping's changed pages to the file (msync MS_SYNC) on a waiting thread, so they
   * survive a crash of the machine; other processes see writes at once without it. Resolves at
   * once for a mapping that is not written back (private or read-only).
   */
  async flush(): Promise<void> {
    const mapping = this.#mapping;
    if (!mapping) throw new InvalidStateError(`MappedFile.flush(${this.#path}): the file was closed by close(); open it again.`);
    if (!(this.#options.writable && this.#options.shared)) return;
    const subject = JSON.stringify(this.#path);
    await blockingCall<undefined>(`MappedFile.flush(${this.#path})`, {}, (callback) => this.#native.msyncAsync(mapping, subject, callback));
  }

  /**
   * Unmaps the file; `buf` then throws InvalidStateError. JavaScript cannot take a buffer back
   * from code that kept it, so the file's pages are replaced by blank memory instead: the file is
   * released at once, and a buffer or view kept from before reads zeros and writes nowhere.
   * Changes of a shared mapping stay in the file (the kernel writes them back). Idempotent.
   */
  close(): void {
    const mapping = this.#mapping;
    if (!mapping) return;
    this.#mapping = null;
    this.#buffer = null;
    this.#native.releaseMappedFile(mapping);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  toString(): string {
    const kind = this.#options.shared ? 'shared' : 'private';
    return `MappedFile(${JSON.stringify(this.#path)}, size=${this.size}, ${kind}${this.#options.writable ? '' : ', read-only'}${this.closed ? ', closed' : ''})`;
  }

  /** @internal What a child needs to map the same file: its path and how it was opened. */
  get record(): MappedFileRecord {
    if (!this.#mapping) throw new InvalidStateError(`MappedFile(${this.#path}): a closed mapping cannot be sent; open the file again.`);
    const { writable, shared } = this.#options;
    return { path: this.#path, size: this.#mapping.byteLength, writable, shared };
  }
}

/** A MappedFile on the wire: the file, never its bytes. */
interface MappedFileRecord {
  readonly path: string;
  readonly size: number;
  readonly writable: boolean;
  readonly shared: boolean;
}

function decodeRecord(data: unknown): MappedFile {
  const what = 'Received MappedFile';
  if (typeof data !== 'object' || data === null) throw refusedRecord(what, `it must be an object, received ${describeValue(data)}`);
  const { path, size, writable, shared } = data as Record<string, unknown>;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > bufferConstants.MAX_LENGTH) {
    throw refusedRecord(what, `its size must be a whole number of bytes from 1 to ${bufferConstants.MAX_LENGTH}, received ${describeValue(size)}`);
  }
  if (typeof writable !== 'boolean' || typeof shared !== 'boolean') throw refusedRecord(what, 'writable and shared must be booleans');
  return MappedFile.reopen(receivedFilePath(what, path), { size, writable, shared, mode: 0o600 });
}

registerHandleType<MappedFile>({
  tag: 'mapped-file',
  matches: (value): value is MappedFile => value instanceof MappedFile,
  encode: (file) => file.record,
  decode: decodeRecord,
});
