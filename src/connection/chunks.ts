// The chunks of one channel (channel.ts): named POSIX segments /dev/shm/<channel>-<number>,
// created, mapped, checked and unlinked here. /dev/shm is shared by every user of the machine,
// and a chunk is shared memory that any process of this user can rewrite or shrink, so:
// - a chunk is used only if this user owns it: a segment another user made under a chunk's name
//   (the names are listed in /dev/shm for all to see) is skipped, never opened nor unlinked;
// - chunks are mapped guarded (native mapping-guard.cc): one cut short by someone's ftruncate
//   reads as zeros instead of killing the process with SIGBUS, and the fault is reported here,
//   so the channel fails with InvalidStateError.

import { fstatSync, statSync } from 'node:fs';
import { InvalidStateError } from '../base/errors.js';
import type { NativeBinding } from '../native/binding.js';
import { trackSegment, untrackSegment } from '../memory/tracker.js';

/** A mapped chunk, as bytes and as 32-bit words (record headers). */
export interface Chunk {
  readonly number: number;
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
}

/** How many taken names in a row a writer skips before giving up. */
export const MAX_SKIPPED = 64;
const PAGE_BYTES = 4096;

let faultCount: Int32Array | null = null;

/** The chunks of one channel that this thread mapped, by number. */
export class Chunks {
  readonly #native: NativeBinding;
  readonly #channel: string;
  readonly #mapped = new Map<number, Chunk>();
  readonly #faults: Int32Array;
  #faultsSeen: number;
  /** Set for good once a chunk of this channel was found cut short. */
  #cutChunk: number | null = null;

  constructor(native: NativeBinding, channel: string) {
    this.#native = native;
    this.#channel = channel;
    faultCount ??= native.mappingFaults();
    this.#faults = faultCount;
    this.#faultsSeen = Atomics.load(this.#faults, 0);
  }

  /** The error of a channel whose shared memory is not what multiproc wrote. */
  corrupted(reason: string): InvalidStateError {
    return new InvalidStateError(
      `channel "${this.#channel}" is corrupted: ${reason}. Its shared memory was changed by something other than multiproc; create a new pipe or queue.`,
    );
  }

  get mapped(): ReadonlyMap<number, Chunk> {
    return this.#mapped;
  }

  #segmentName(number: number): string {
    return `/${this.#channel}-${number}`;
  }

  /** Chunk `number`, mapped; null when it does not exist or is another user's (which is never used). */
  open(number: number): Chunk | null {
    const known = this.#mapped.get(number);
    if (known) return known;
    let fd: number;
    try {
      fd = this.#native.shmOpen(this.#segmentName(number), false, false, 0);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT' || code === 'EACCES') return null;
      throw error;
    }
    if (fstatSync(fd).uid !== process.geteuid?.()) {
      this.#native.closeFd(fd);
      return null;
    }
    return this.#map(number, fd);
  }

  /**
   * A new chunk of `bytes` bytes, numbered `number` or, when another user took that name, the next
   * free number: the caller links it in under the number returned.
   */
  create(number: number, bytes: number): Chunk {
    for (let candidate = number; candidate < number + MAX_SKIPPED; candidate++) {
      const fd = this.#createExclusive(candidate);
      if (fd === null) continue;
      trackSegment(this.#native, this.#segmentName(candidate).slice(1));
      try {
        this.#native.resize(fd, bytes);
      } catch (error) {
        this.#native.closeFd(fd);
        this.unlink(candidate); // nothing of a chunk that could not be made stays behind
        throw error;
      }
      try {
        return this.#map(candidate, fd);
      } catch (error) {
        this.unlink(candidate);
        throw error;
      }
    }
    throw this.corrupted(`chunk names ${number} to ${number + MAX_SKIPPED - 1} are all taken by another user`);
  }

  /** The fd of a new segment named for chunk `number`, or null when another user holds that name. */
  #createExclusive(number: number): number | null {
    const name = this.#segmentName(number);
    try {
      return this.#native.shmOpen(name, true, true, 0o600);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
    if (!this.#isOurs(number)) return null;
    this.#native.shmUnlink(name); // ours: left by a writer killed before it linked it in
    return this.#native.shmOpen(name, true, true, 0o600);
  }

  /** True when chunk `number`'s segment exists and belongs to this user. */
  #isOurs(number: number): boolean {
    try {
      return statSync(`/dev/shm${this.#segmentName(number)}`).uid === process.geteuid?.();
    } catch {
      return false;
    }
  }

  #map(number: number, fd: number): Chunk {
    try {
      const status = fstatSync(fd);
      if (status.size < 16 || status.size % 8 !== 0) throw this.corrupted(`chunk ${number} is ${status.size} bytes long`);
      const buffer = this.#native.mapShared(fd, status.size, true);
      const chunk = { number, bytes: new Uint8Array(buffer), words: new Int32Array(buffer) };
      this.#mapped.set(number, chunk);
      return chunk;
    } finally {
      this.#native.closeFd(fd);
    }
  }

  /**
   * Throws when a chunk was cut short: called after reading or writing `chunk`. `[from, to)` is a
   * record's payload, read here one byte a page so that a cut in it faults now, not later
   * while the caller decodes it. Hot: one plain load when nothing faulted (the count is written
   * by the signal handler on this very thread, before the faulting access completes).
   */
  checkIntact(chunk: Chunk, from = 0, to = 0): void {
    if (to > from) {
      for (let at = from + PAGE_BYTES; at < to; at += PAGE_BYTES) void chunk.bytes[at];
      void chunk.bytes[to - 1];
    }
    if (this.#faults[0] !== this.#faultsSeen || this.#cutChunk !== null) this.#findCut();
  }

  #findCut(): void {
    this.#faultsSeen = Atomics.load(this.#faults, 0);
    for (const mapped of this.#mapped.values()) {
      if (this.#native.hasFaulted(mapped.bytes.buffer as SharedArrayBuffer)) this.#cutChunk ??= mapped.number;
    }
    if (this.#cutChunk !== null) throw this.corrupted(`chunk ${this.#cutChunk} was cut short (ftruncate) while in use`);
  }

  /** Unlinks chunk `number` if it is this user's (another user's segment is never touched). */
  unlink(number: number): void {
    this.#mapped.delete(number);
    if (!this.#isOurs(number)) return;
    try {
      this.#native.shmUnlink(this.#segmentName(number));
      untrackSegment(this.#native, this.#segmentName(number).slice(1));
    } catch {
      // already gone
    }
  }

  forget(number: number): void {
    this.#mapped.delete(number);
  }

  clear(): void {
    this.#mapped.clear();
  }
}
