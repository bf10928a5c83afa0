// SharedMemory: Python's multiprocessing.shared_memory.SharedMemory. A named POSIX segment
// (/dev/shm/<name>, owner-only), mapped as a SharedArrayBuffer, so a write in one process is
// seen by the others without a copy. The resource tracker unlinks it if the process tree that
// created it ends without doing so. It travels to children as its name (a codec handle).

import { constants as bufferConstants } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { InvalidStateError } from '../base/errors.js';
import type { NativeBinding } from '../native/binding.js';
import { requireNative } from '../native/loader.js';
import { registerHandleType } from '../tasks/codec.js';
import { checkInteger, checkOptionsObject, describeValue, invalidType, invalidValue, outOfRange } from '../base/validate.js';
import { refusedRecord } from '../memory/arena.js';
import { isSegmentName } from '../memory/segment-names.js';
import { trackSegment, untrackSegment } from '../memory/tracker.js';

export interface SharedMemoryOptions {
  /** The segment's name; generated (`mp-…`) when creating without one. */
  name?: string | null;
  /** Create a new segment (true) or attach to an existing one (false). @default false */
  create?: boolean;
  /** Size in bytes of a new segment; ignored when attaching. */
  size?: number;
}

/** The size of a new segment: one this Node can view as a buffer, checked before any system call. */
function checkSize(size: unknown): number {
  const bytes = checkInteger('SharedMemory: "size"', size, 1);
  if (bytes > bufferConstants.MAX_LENGTH) {
    throw outOfRange('SharedMemory: "size"', `at most ${bufferConstants.MAX_LENGTH} bytes (buffer.constants.MAX_LENGTH, the largest buffer this Node can view)`, size);
  }
  return bytes;
}

function systemName(name: string): string {
  return name.startsWith('/') ? name : `/${name}`;
}

function withCode(error: unknown, message: string): Error {
  const code = (error as { code?: string }).code;
  const wrapped = new Error(message, { cause: error });
  Object.defineProperty(wrapped, 'code', { value: code, enumerable: true });
  return wrapped;
}

/**
 * A block of memory shared between processes, by name.
 *
 * @example
 * const shm = new SharedMemory({ create: true, size: 1024 });
 * shm.buf[0] = 42;            // another process: new SharedMemory({ name: shm.name }).buf[0] === 42
 * shm.close(); shm.unlink();
 */
export class SharedMemory {
  readonly #native: NativeBinding;
  readonly #name: string;
  readonly #size: number;
  #buffer: Uint8Array | null;
  #isUnlinked = false;

  constructor(options: SharedMemoryOptions = {}) {
    checkOptionsObject('SharedMemory: "options"', options);
    this.#native = requireNative('SharedMemory');
    const create = options.create ?? false;
    if (typeof create !== 'boolean') throw invalidType('SharedMemory: "create"', 'a boolean', create);
    const name = options.name ?? (create ? `mp-${randomBytes(8).toString('hex')}` : null);
    if (name === null) {
      throw invalidValue('SharedMemory: "name"', 'the name of an existing segment', name, 'Pass { create: true, size } to make a new one.');
    }
    if (!isSegmentName(name)) {
      throw invalidValue('SharedMemory: "name"', 'up to 200 letters, digits, ".", "_" or "-" (an optional leading "/"), not "." or ".."', name);
    }
    this.#name = name;
    const fd = create ? this.#create(name, checkSize(options.size)) : this.#open(name);
    try {
      this.#size = this.#native.sizeOf(fd);
      this.#buffer = new Uint8Array(this.#native.mapShared(fd, this.#size));
    } catch (error) {
      if (create) this.#removeFailed(name);
      throw error;
    } finally {
      this.#native.closeFd(fd);
    }
  }

  #create(name: string, size: number): number {
    let fd: number;
    try {
      fd = this.#native.shmOpen(systemName(name), true, true, 0o600);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      throw withCode(error, `SharedMemory: a segment named "${name}" already exists; attach to it with { name } or choose another name.`);
    }
    try {
      trackSegment(this.#native, name); // before anything else can fail or be killed
      this.#native.resize(fd, size);
      return fd;
    } catch (error) {
      this.#native.closeFd(fd);
      this.#removeFailed(name);
      throw error;
    }
  }

  /** A segment created here that could not be sized or mapped: nothing of it may stay behind. */
  #removeFailed(name: string): void {
    try {
      this.#native.shmUnlink(systemName(name));
    } catch {
      // already gone: nothing to remove
    }
    untrackSegment(this.#native, name);
  }

  #open(name: string): number {
    let fd: number;
    try {
      fd = this.#native.shmOpen(systemName(name), false, false, 0);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw error;
      throw withCode(error, `SharedMemory: no segment named "${name}" exists; create it with { name, create: true, size }.`);
    }
    // Only shared memory carries seals: a FIFO or anything else someone put in /dev/shm does not.
    if (this.#native.sealsOf(fd) < 0) {
      this.#native.closeFd(fd);
      throw new InvalidStateError(`SharedMemory: "${name}" is not a shared-memory segment; attach only to segments made by SharedMemory.`);
    }
    return fd;
  }

  /** The memory itself; a write is seen by every process that attached the segment. */
  get buf(): Uint8Array {
    if (!this.#buffer) throw new InvalidStateError(`SharedMemory "${this.#name}": buf was used after close().`);
    return this.#buffer;
  }

  get name(): string {
    return this.#name;
  }

  /** Size in bytes. */
  get size(): number {
    return this.#size;
  }

  /** Stops using the segment in this object (the memory is unmapped once `buf` is no longer referenced). */
  close(): void {
    this.#buffer = null;
  }

  /** Removes the segment's name; processes that attached it keep their mapping. Call it once, in one process. */
  unlink(): void {
    if (this.#isUnlinked) return;
    this.#native.shmUnlink(systemName(this.#name));
    this.#isUnlinked = true;
    untrackSegment(this.#native, this.#name);
  }

  toString(): string {
    return `SharedMemory('${this.#name}', size=${this.#size})`;
  }
}

registerHandleType<SharedMemory>({
  tag: 'shared-memory',
  matches: (value): value is SharedMemory => value instanceof SharedMemory,
  encode: (memory) => memory.name,
  decode: (name) => {
    if (!isSegmentName(name)) throw refusedRecord('Received SharedMemory', `its name must match SharedMemory's name pattern, received ${describeValue(name)}`);
    return new SharedMemory({ name });
  },
});
