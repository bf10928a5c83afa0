// SysVSharedMemory: a System V shared-memory segment (shmget, shmat, shmctl), Python's
// sysv_ipc.SharedMemory. Attached as a Buffer over a SharedArrayBuffer, so a write is seen by
// every process that attached it and Atomics work on it. The kernel keeps a segment until it is
// removed and no process has it attached.

import { constants as bufferConstants } from 'node:buffer';
import { InvalidStateError } from '../base/errors.js';
import { invalidType, outOfRange } from '../base/validate.js';
import type { NativeBinding } from '../native/binding.js';
import { requireNative } from '../native/loader.js';
import { registerHandleType } from '../tasks/codec.js';
import {
  checkKey,
  checkOpenOptions,
  checkSysVRecord,
  IPC_PRIVATE,
  kernelLimit,
  keyText,
  openError,
  removeOnce,
  type SysVOpenOptions,
} from './sysv-object.js';

/** Options of `new SysVSharedMemory(key, size, options)`. */
export interface SysVSharedMemoryOptions extends SysVOpenOptions {}

/** What shmctl(IPC_STAT) says of a segment. */
export interface SysVSharedMemoryAttributes {
  /** Its size in bytes. */
  size: number;
  /** How many attachments it has, in every process (shm_nattch). */
  attachments: number;
  /** Who created it, and who attached or detached it last. */
  creatorPid: number;
  lastPid: number;
  mode: number;
  /** True once remove() (IPC_RMID) was called: it goes when its last attachment does. */
  removed: boolean;
}

/** Opens an existing segment by id (how an IPC_PRIVATE one is reached in a child); never public. */
const openById = Symbol('openById');

/** The largest segment this process can create and view: the kernel's SHMMAX and Node's largest buffer. */
function largestSegment(): number {
  return Math.min(kernelLimit('shmmax', 0, true) ?? Number.MAX_SAFE_INTEGER, bufferConstants.MAX_LENGTH);
}

/**
 * A System V shared-memory segment, named by a key that any process can know (see ftok).
 *
 * @example
 * const shm = new SysVSharedMemory(key, 4096, { create: true });
 * shm.buf.write('hello');             // another process: new SysVSharedMemory(key, 0).buf
 * shm.detach(); shm.remove();
 */
export class SysVSharedMemory {
  readonly #native: NativeBinding;
  readonly #key: number;
  readonly #id: number;
  readonly #size: number;
  #buffer: Buffer | null;
  #sharedBuffer: SharedArrayBuffer | null;
  #isRemoved = false;

  /**
   * @param size bytes: of a new segment; when attaching an existing one, at least this many (0:
   * whatever its size). `.size` tells the segment's real size.
   */
  constructor(key: number, size: number, options: SysVSharedMemoryOptions = {}) {
    this.#native = requireNative('SysVSharedMemory');
    this.#key = checkKey('SysVSharedMemory', key);
    const { create, exclusive, mode } = checkOpenOptions('SysVSharedMemory', options);
    const adopted = (options as { [openById]?: number })[openById];
    const creating = adopted === undefined && (create || this.#key === IPC_PRIVATE);
    const bytes = this.#checkSize(size, creating);
    const what = `SysVSharedMemory(${keyText(this.#key)})`;
    try {
      this.#id = adopted ?? this.#get(bytes, create, exclusive, mode);
    } catch (error) {
      throw openError(error, what, 'shared-memory segment');
    }
    this.#size = this.#native.shmStat(this.#id).size;
    if (this.#size > bufferConstants.MAX_LENGTH) {
      throw outOfRange(`${what}: the segment`, `at most ${bufferConstants.MAX_LENGTH} bytes (the largest buffer this Node can view)`, `${this.#size} bytes`);
    }
    this.#sharedBuffer = this.#native.shmAttach(this.#id);
    this.#buffer = Buffer.from(this.#sharedBuffer);
  }

  #checkSize(size: unknown, creating: boolean): number {
    const where = 'SysVSharedMemory: "size"';
    if (typeof size !== 'number') throw invalidType(where, 'an integer number of bytes', size);
    const smallest = creating ? 1 : 0;
    const largest = largestSegment();
    if (!Number.isInteger(size) || size < smallest || size > largest) {
      const hint = creating ? '' : '0 attaches an existing segment whatever its size.';
      throw outOfRange(where, `an integer from ${smallest} to ${largest} (SHMMAX, and the largest buffer this Node can view)`, size, hint);
    }
    return size;
  }

  #get(size: number, create: boolean, exclusive: boolean, mode: number): number {
    try {
      return this.#native.shmGet(this.#key, size, create, exclusive, mode);
    } catch (error) {
      // EINVAL for an existing segment: it is smaller than asked (shmget(2)).
      if ((error as { code?: string }).code !== 'EINVAL' || size === 0) throw error;
      let existing: number;
      try {
        existing = this.#native.shmStat(this.#native.shmGet(this.#key, 0, false, false, 0)).size;
      } catch {
        throw error;
      }
      throw outOfRange('SysVSharedMemory: "size"', `at most ${existing}, the size of the existing segment`, size, 'Pass 0 to attach it whatever its size.');
    }
  }

  /** The key (a signed key_t; IPC_PRIVATE for a private segment). */
  get key(): number {
    return this.#key;
  }

  /** The kernel's id of the segment (shmid), as ipcs shows it. */
  get id(): number {
    return this.#id;
  }

  /** The segment's size in bytes. */
  get size(): number {
    return this.#size;
  }

  /** The memory itself: a Buffer over a SharedArrayBuffer (`new Int32Array(shm.buf.buffer)` for Atomics). */
  get buf(): Buffer {
    if (!this.#buffer) throw new InvalidStateError(`SysVSharedMemory(${keyText(this.#key)}): buf was used after detach(); attach it again with a new SysVSharedMemory.`);
    return this.#buffer;
  }

  /** The segment's state now (shmctl IPC_STAT). */
  attributes(): SysVSharedMemoryAttributes {
    const { size, attachments, creatorPid, lastPid, mode, removed } = this.#native.shmStat(this.#id);
    return { size, attachments, creatorPid, lastPid, mode, removed: removed === 1 };
  }

  /**
   * Detaches the segment from this process now (as shmdt): `buf` throws from then on, and views
   * of it kept elsewhere read private zeros, no longer shared. Idempotent.
   */
  detach(): void {
    if (!this.#sharedBuffer) return;
    this.#native.shmDetach(this.#sharedBuffer);
    this.#sharedBuffer = null;
    this.#buffer = null;
  }

  /**
   * Marks the segment for removal (IPC_RMID): the kernel frees it once every process has
   * detached it; attachments, this one included, stay valid until then. Idempotent.
   */
  remove(): void {
    if (this.#isRemoved) return;
    removeOnce(() => this.#native.shmRemove(this.#id));
    this.#isRemoved = true;
  }

  toString(): string {
    return `SysVSharedMemory(key=${keyText(this.#key)}, id=${this.#id}, size=${this.#size})`;
  }
}

registerHandleType<SysVSharedMemory>({
  tag: 'sysv-shared-memory',
  matches: (value): value is SysVSharedMemory => value instanceof SysVSharedMemory,
  encode: (memory) => ({ key: memory.key, id: memory.id }),
  decode: (data) => {
    const { key, id } = checkSysVRecord(data, 'Received SysVSharedMemory');
    if (key !== IPC_PRIVATE) return new SysVSharedMemory(key, 0);
    return new SysVSharedMemory(key, 0, { [openById]: id } as SysVSharedMemoryOptions);
  },
});
