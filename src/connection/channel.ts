// A channel: an unbounded log of records in shared memory, written and read by any number of
// processes and threads. It is what pipes and queues are made of.
//
// Records are appended to chunks: named POSIX segments (/dev/shm/mpc-…), 1 to 16 MiB or one record's
// size, so a record lives in memory that outlives the process that wrote it (a child may put and
// exit before its parent reads: nothing waits for a reader, unlike CPython's feeder thread, so
// that classic join deadlock cannot happen). A record is [length][kind][bytes], 8-byte aligned;
// a length of -1 sends the reader on to the next chunk, which it unlinks once it has left it.
//
// The head (next record to read) and tail (where the next is written) are each one 64-bit word,
// chunk number << 32 | offset, so a writer commits a record and a reader takes one with a single
// atomic store: a process killed at any point loses no committed record and never makes one be
// read twice. Writers serialize on one lock word, readers on another (pid of the holder, taken
// over when the holder died); readers wait on a sequence word with futexes (any process).

import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import type { NativeBinding } from '../native/binding.js';
import type { SharedBlock } from '../shared/arena.js';
import { ensureTracker, trackSegment, untrackSegment } from '../shared/tracker.js';
import { isThreadAlive } from '../process/thread-liveness.js';
import { isProcessAlive, type WaitOutcome, waitWord, wakeWord } from '../sync/waiting.js';

/** A channel's first chunk; each next one doubles, up to LARGEST_CHUNK_BYTES: busy channels map memory less often. */
const FIRST_CHUNK_BYTES = 1 << 20;
const LARGEST_CHUNK_BYTES = 16 << 20;
const RECORD_HEADER_BYTES = 8;
const END_OF_CHUNK = -1;
/** The largest record: its length is a signed 32-bit word. */
export const MAX_RECORD_BYTES = 2 ** 31 - 1 - RECORD_HEADER_BYTES;

/** Words of a channel's header in its block (positions first: 64-bit words need 8-byte alignment). */
export const CHANNEL_WORDS = 12;
const HEAD = 0; // BigInt64 index
const TAIL = 1; // BigInt64 index
const WRITE_LOCK = 4;
const READ_LOCK = 5;
const COUNT = 6;
const DATA_SEQ = 7;
const READERS_WAITING = 8;
const LOCK_WAITERS = 9;
/** Beside each lock word, the holder's thread id + 1 (0: not written yet), 6 words further on. */
const LOCK_THREAD_DISTANCE = 6;

const ALL = 2 ** 31 - 1;
const LOCK_SPINS = 2_000;
const LOCK_LIVENESS_CHECK_MS = 100;

/** What a reader takes: the record's kind and a view of its bytes (valid as long as it is referenced). */
export interface ChannelRecord {
  readonly kind: number;
  readonly bytes: Uint8Array;
}

/** A mapped chunk, as bytes and as 32-bit words (record headers). */
interface Chunk {
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
}

function align8(bytes: number): number {
  return (bytes + 7) & ~7;
}

function position(chunk: number, offset: number): bigint {
  return (BigInt(chunk) << 32n) | BigInt(offset);
}

function chunkOf(at: bigint): number {
  return Number(at >> 32n);
}

function offsetOf(at: bigint): number {
  return Number(at & 0xffff_ffffn);
}

/** A name for a new channel's chunks; the tree's resource tracker is started now, once. */
export function newChannelName(native: NativeBinding): string {
  ensureTracker(native);
  return `mpc-${randomBytes(8).toString('hex')}`;
}

export class Channel {
  readonly #native: NativeBinding;
  readonly #block: SharedBlock;
  /** This channel's words within the block start here. */
  readonly #base: number;
  readonly #positions: BigInt64Array;
  readonly #name: string;
  /** Chunks mapped by this thread, by number. */
  readonly #chunks = new Map<number, Chunk>();

  /** The channel whose header starts at word `base` (a multiple of 2) of `block`. */
  constructor(native: NativeBinding, block: SharedBlock, base: number, name: string) {
    this.#native = native;
    this.#block = block;
    this.#base = base;
    this.#positions = new BigInt64Array(block.buffer, block.byteOffset + base * 4, 2);
    this.#name = name;
    if (Atomics.load(this.#positions, TAIL) === 0n) {
      // A new channel starts at chunk 1, created by its first write.
      Atomics.compareExchange(this.#positions, HEAD, 0n, position(1, 0));
      Atomics.compareExchange(this.#positions, TAIL, 0n, position(1, 0));
    }
  }

  /** Records written and not yet read. */
  get size(): number {
    return Atomics.load(this.#block.words, this.#base + COUNT);
  }

  hasRecord(): boolean {
    return Atomics.load(this.#positions, HEAD) !== Atomics.load(this.#positions, TAIL);
  }

  /** Appends one record (the concatenation of `parts`). */
  write(kind: number, parts: readonly Uint8Array[]): void {
    let length = 0;
    for (const part of parts) length += part.byteLength;
    if (length > MAX_RECORD_BYTES) throw new RangeError(`a message of ${length} bytes is larger than the ${MAX_RECORD_BYTES} bytes a channel can carry`);
    const need = align8(RECORD_HEADER_BYTES + length);
    this.#lock(WRITE_LOCK);
    try {
      const tail = Atomics.load(this.#positions, TAIL);
      let chunkNumber = chunkOf(tail);
      let offset = offsetOf(tail);
      let chunk = this.#chunk(chunkNumber, need);
      if (offset + need + RECORD_HEADER_BYTES > chunk.bytes.byteLength) {
        const next = this.#createChunk(chunkNumber + 1, need, Math.min(LARGEST_CHUNK_BYTES, 2 * chunk.bytes.byteLength));
        chunk.words[offset >> 2] = END_OF_CHUNK;
        [chunkNumber, offset, chunk] = [chunkNumber + 1, 0, next];
      }
      chunk.words[offset >> 2] = length;
      chunk.words[(offset >> 2) + 1] = kind;
      let at = offset + RECORD_HEADER_BYTES;
      for (const part of parts) {
        chunk.bytes.set(part, at);
        at += part.byteLength;
      }
      Atomics.store(this.#positions, TAIL, position(chunkNumber, offset + need)); // the commit
      Atomics.add(this.#block.words, this.#base + COUNT, 1);
    } finally {
      this.#unlock(WRITE_LOCK);
    }
    const words = this.#block.words;
    Atomics.add(words, this.#base + DATA_SEQ, 1);
    if (Atomics.load(words, this.#base + READERS_WAITING) > 0) wakeWord(this.#block, this.#base + DATA_SEQ, ALL);
    this.#forgetPassedChunks();
  }

  /** Takes the next record, or returns null when there is none. */
  tryRead(): ChannelRecord | null {
    if (!this.hasRecord()) return null;
    this.#lock(READ_LOCK);
    try {
      const head = Atomics.load(this.#positions, HEAD);
      if (head === Atomics.load(this.#positions, TAIL)) return null;
      let chunkNumber = chunkOf(head);
      let offset = offsetOf(head);
      let chunk = this.#chunk(chunkNumber, 0);
      if (chunk.words[offset >> 2] === END_OF_CHUNK) {
        Atomics.store(this.#positions, HEAD, position(chunkNumber + 1, 0)); // move on first: a kill here leaks, never corrupts
        this.#unlinkChunk(chunkNumber);
        [chunkNumber, offset] = [chunkNumber + 1, 0];
        chunk = this.#chunk(chunkNumber, 0);
      }
      const length = chunk.words[offset >> 2]!;
      const kind = chunk.words[(offset >> 2) + 1]!;
      const bytes = new Uint8Array(chunk.bytes.buffer, offset + RECORD_HEADER_BYTES, length);
      Atomics.store(this.#positions, HEAD, position(chunkNumber, offset + align8(RECORD_HEADER_BYTES + length))); // the take
      Atomics.sub(this.#block.words, this.#base + COUNT, 1);
      return { kind, bytes };
    } finally {
      this.#unlock(READ_LOCK);
      this.#forgetPassedChunks();
    }
  }

  /**
   * Waits until a record may be there, `timeoutMs` at most (undefined: forever). Callers loop:
   * check, wait, check again. `spins` loads of the tail come first, which catch a hand-off
   * between busy processes in microseconds, where parking costs an event-loop wake-up.
   * `shouldNotPark`, asked after the spin, may end the wait at once (the writers are gone).
   */
  async waitForRecord(timeoutMs: number | undefined, spins: number, shouldNotPark?: () => boolean): Promise<WaitOutcome> {
    // The count is a hint (a writer killed between its commit and the count's increment leaves it
    // one short), but reading it allocates nothing; the positions are checked before parking.
    const words = this.#block.words;
    const count = this.#base + COUNT;
    for (let spin = 0; spin < spins; spin++) if (Atomics.load(words, count) > 0) return 'ok';
    if (this.hasRecord() || shouldNotPark?.()) return 'ok';
    const sequence = Atomics.load(words, this.#base + DATA_SEQ);
    Atomics.add(words, this.#base + READERS_WAITING, 1);
    try {
      if (this.hasRecord()) return 'ok';
      return await waitWord(this.#block, this.#base + DATA_SEQ, sequence, timeoutMs);
    } finally {
      Atomics.sub(words, this.#base + READERS_WAITING, 1);
    }
  }

  /** Wakes every waiting reader, to look again (the other end of a pipe closed, say). */
  wakeReaders(): void {
    Atomics.add(this.#block.words, this.#base + DATA_SEQ, 1);
    wakeWord(this.#block, this.#base + DATA_SEQ, ALL);
  }

  /** Unlinks every chunk still there: called by the channel's last holder, the records are dropped. */
  destroy(): void {
    const first = chunkOf(Atomics.load(this.#positions, HEAD));
    const last = chunkOf(Atomics.load(this.#positions, TAIL));
    for (let chunk = first; chunk <= last + 1; chunk++) this.#unlinkChunk(chunk); // +1: a chunk a killed writer left
    this.#chunks.clear();
  }

  #segmentName(chunk: number): string {
    return `/${this.#name}-${chunk}`;
  }

  /** Chunk `number`, mapped; a writer creates it when it does not exist yet (room for `need` bytes). */
  #chunk(number: number, need: number): Chunk {
    const known = this.#chunks.get(number);
    if (known) return known;
    let fd: number;
    try {
      fd = this.#native.shmOpen(this.#segmentName(number), false, false, 0);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT' || need === 0) throw error;
      return this.#createChunk(number, need);
    }
    return this.#map(number, fd);
  }

  #createChunk(number: number, need: number, size = FIRST_CHUNK_BYTES): Chunk {
    const bytes = Math.max(size, align8(need + RECORD_HEADER_BYTES));
    const name = this.#segmentName(number);
    let fd: number;
    try {
      fd = this.#native.shmOpen(name, true, true, 0o600);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      this.#native.shmUnlink(name); // left by a writer killed before it linked it in
      fd = this.#native.shmOpen(name, true, true, 0o600);
    }
    trackSegment(this.#native, name.slice(1));
    this.#native.resize(fd, bytes);
    return this.#map(number, fd);
  }

  #map(number: number, fd: number): Chunk {
    try {
      const buffer = this.#native.mapShared(fd, this.#native.sizeOf(fd));
      const chunk = { bytes: new Uint8Array(buffer), words: new Int32Array(buffer) };
      this.#chunks.set(number, chunk);
      return chunk;
    } finally {
      this.#native.closeFd(fd);
    }
  }

  #unlinkChunk(number: number): void {
    this.#chunks.delete(number);
    try {
      this.#native.shmUnlink(this.#segmentName(number));
      untrackSegment(this.#native, this.#segmentName(number).slice(1));
    } catch {
      // already gone
    }
  }

  /** Drops this thread's mappings of chunks every reader has left (the memory goes with the last one). */
  #forgetPassedChunks(): void {
    if (this.#chunks.size < 2) return;
    const head = chunkOf(Atomics.load(this.#positions, HEAD));
    const tail = chunkOf(Atomics.load(this.#positions, TAIL));
    for (const number of this.#chunks.keys()) if (number !== head && number !== tail) this.#chunks.delete(number);
  }

  /**
   * Takes a lock word (the holder's pid). Held only while copying one record, so waiting blocks
   * the thread: a spin, then futex waits that check the holder is alive.
   */
  #lock(which: number): void {
    const words = this.#block.words;
    const index = this.#base + which;
    for (let spin = 0; ; spin++) {
      const holder = Atomics.compareExchange(words, index, 0, process.pid);
      if (holder === 0) {
        Atomics.store(words, index + LOCK_THREAD_DISTANCE, threadId + 1);
        return;
      }
      if (spin < LOCK_SPINS) continue;
      if (this.#releaseIfHolderDied(index, holder)) continue;
      Atomics.add(words, this.#base + LOCK_WAITERS, 1);
      this.#native.futexWait(this.#block.buffer, this.#block.byteOffset + index * 4, holder, LOCK_LIVENESS_CHECK_MS);
      Atomics.sub(words, this.#base + LOCK_WAITERS, 1);
    }
  }

  /**
   * Frees a lock whose holder died: a process (its pid is gone) or a thread of this process
   * (terminated mid-copy; its pid lives on). Of several waiters that see the same dead thread,
   * only the one that clears its thread word frees the lock.
   */
  #releaseIfHolderDied(index: number, holder: number): boolean {
    const words = this.#block.words;
    if (holder !== process.pid) {
      if (isProcessAlive(holder)) return false;
      Atomics.compareExchange(words, index, holder, 0);
      return true;
    }
    const thread = Atomics.load(words, index + LOCK_THREAD_DISTANCE);
    if (thread === 0 || isThreadAlive(thread - 1)) return false;
    if (Atomics.compareExchange(words, index + LOCK_THREAD_DISTANCE, thread, 0) === thread) Atomics.store(words, index, 0);
    return true;
  }

  #unlock(which: number): void {
    const words = this.#block.words;
    Atomics.store(words, this.#base + which + LOCK_THREAD_DISTANCE, 0);
    Atomics.store(words, this.#base + which, 0);
    if (Atomics.load(words, this.#base + LOCK_WAITERS) > 0) {
      this.#native.futexWake(this.#block.buffer, this.#block.byteOffset + (this.#base + which) * 4, ALL);
    }
  }
}
