// A channel: an unbounded log of records in shared memory, written and read by any number of
// processes and threads. It is what pipes and queues are made of.
//
// Records are appended to chunks: named POSIX segments (/dev/shm/mpc-…), 1 to 16 MiB or one record's
// size, so a record lives in memory that outlives the process that wrote it (a child may put and
// exit before its parent reads: nothing waits for a reader, unlike CPython's feeder thread, so
// that classic join deadlock cannot happen). A record is [length][kind][bytes], 8-byte aligned;
// a length of -1 sends the reader on to the chunk whose number follows it, and unlinks the one left.
// Chunks are shared memory anyone of this user can write: each position and record header is
// checked before use, so a corrupted channel fails with InvalidStateError (chunks.ts).
//
// The head (next record to read) and tail (where the next is written) are each one 64-bit word,
// chunk number << 32 | offset, so a writer commits a record and a reader takes one with a single
// atomic store: a process killed at any point loses no committed record and never makes one be
// read twice. Writers serialize on one lock word, readers on another (pid of the holder, taken
// over when the holder died); readers wait on a sequence word with futexes (any process).

import { randomBytes } from 'node:crypto';
import type { NativeBinding } from '../native/binding.js';
import type { SharedBlock } from '../memory/arena.js';
import { ensureTracker } from '../memory/tracker.js';
import { type WaitOutcome, waitWord, waitWordSync, wakeWord } from '../base/word-wait.js';
import { ChannelLocks } from './channel-locks.js';
import { type Chunk, Chunks, MAX_SKIPPED } from './chunks.js';

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
const WRITE_LOCK = 4; // and 5: a lock word is 64 bits, 8-byte aligned (channel-locks.ts)
const COUNT = 6;
const DATA_SEQ = 7;
const READERS_WAITING = 8;
const LOCK_WAITERS = 9;
const READ_LOCK = 10; // and 11

const ALL = 2 ** 31 - 1;

/** What a reader takes: the record's kind and a view of its bytes (valid as long as it is referenced). */
export interface ChannelRecord {
  readonly kind: number;
  readonly bytes: Uint8Array;
}

/** The size of a new chunk: `preferred`, or more when one record of `need` bytes (and an end marker) needs it. */
function chunkBytes(need: number, preferred: number): number {
  return Math.max(preferred, align8(need + RECORD_HEADER_BYTES));
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
  readonly #block: SharedBlock;
  /** This channel's words within the block start here. */
  readonly #base: number;
  readonly #positions: BigInt64Array;
  /** Chunks mapped by this thread. */
  readonly #chunks: Chunks;
  readonly #locks: ChannelLocks;

  /** The channel whose header starts at word `base` (a multiple of 2) of `block`. */
  constructor(native: NativeBinding, block: SharedBlock, base: number, name: string) {
    this.#block = block;
    this.#base = base;
    this.#positions = new BigInt64Array(block.buffer, block.byteOffset + base * 4, 2);
    this.#chunks = new Chunks(native, name);
    this.#locks = new ChannelLocks(block, base + LOCK_WAITERS);
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
    this.#locks.take(this.#base + WRITE_LOCK);
    try {
      const tail = Atomics.load(this.#positions, TAIL);
      const tailNumber = this.#checkedChunkNumber(tail, 'tail');
      let offset = offsetOf(tail);
      let chunk = this.#tailChunk(tailNumber, offset, need);
      const isMovedStart = chunk.number !== tailNumber;
      if (offset + need + RECORD_HEADER_BYTES > chunk.bytes.byteLength) {
        const next = this.#chunks.create(chunk.number + 1, chunkBytes(need, Math.min(LARGEST_CHUNK_BYTES, 2 * chunk.bytes.byteLength)));
        chunk.words[offset >> 2] = END_OF_CHUNK;
        chunk.words[(offset >> 2) + 1] = next.number;
        this.#chunks.checkIntact(chunk);
        [chunk, offset] = [next, 0];
      }
      chunk.words[offset >> 2] = length;
      chunk.words[(offset >> 2) + 1] = kind;
      let at = offset + RECORD_HEADER_BYTES;
      for (const part of parts) {
        chunk.bytes.set(part, at);
        at += part.byteLength;
      }
      this.#chunks.checkIntact(chunk); // a record written into a chunk cut short is lost: fail, never commit it
      const next = position(chunk.number, offset + need);
      if (isMovedStart) this.#commitMovedStart(tail, next);
      else Atomics.store(this.#positions, TAIL, next); // the commit
      Atomics.add(this.#block.words, this.#base + COUNT, 1);
    } finally {
      this.#locks.release(this.#base + WRITE_LOCK);
    }
    const words = this.#block.words;
    Atomics.add(words, this.#base + DATA_SEQ, 1);
    // Not "> 0": a count someone overwrote with a negative number must not leave readers asleep.
    if (Atomics.load(words, this.#base + READERS_WAITING) !== 0) wakeWord(this.#block, this.#base + DATA_SEQ, ALL);
    this.#forgetPassedChunks();
  }

  /** The tail's chunk, checked; the first write creates the chunk (under another number when another user took its name). */
  #tailChunk(number: number, offset: number, need: number): Chunk {
    let chunk = this.#chunks.open(number);
    if (!chunk) {
      if (offset !== 0) throw this.#chunks.corrupted(`the tail points to offset ${offset} of chunk ${number}, which does not exist (or is another user's)`);
      chunk = this.#chunks.create(number, chunkBytes(need, FIRST_CHUNK_BYTES));
    }
    this.#checkOffset(chunk, offset, 'tail');
    return chunk;
  }

  /**
   * Publishes the first record of an empty channel whose first chunk had to take another number
   * (another user's segment holds the name): head and tail move together, under the read lock,
   * so no reader sees one without the other.
   */
  #commitMovedStart(tail: bigint, next: bigint): void {
    this.#locks.take(this.#base + READ_LOCK);
    try {
      if (Atomics.load(this.#positions, HEAD) === tail) Atomics.store(this.#positions, HEAD, position(chunkOf(next), 0));
      Atomics.store(this.#positions, TAIL, next);
    } finally {
      this.#locks.release(this.#base + READ_LOCK);
    }
  }

  /** Takes the next record, or returns null when there is none. */
  tryRead(): ChannelRecord | null {
    if (!this.hasRecord()) return null;
    this.#locks.take(this.#base + READ_LOCK);
    try {
      const head = Atomics.load(this.#positions, HEAD);
      if (head === Atomics.load(this.#positions, TAIL)) return null;
      let chunkNumber = this.#checkedChunkNumber(head, 'head');
      let offset = offsetOf(head);
      let chunk = this.#readChunk(chunkNumber, offset);
      if (chunk.words[offset >> 2] === END_OF_CHUNK) {
        const next = chunk.words[(offset >> 2) + 1]!;
        this.#chunks.checkIntact(chunk);
        if (!(next > chunkNumber && next <= chunkNumber + MAX_SKIPPED)) {
          throw this.#chunks.corrupted(`the end of chunk ${chunkNumber} sends readers on to chunk ${next}`);
        }
        Atomics.store(this.#positions, HEAD, position(next, 0)); // move on first: a kill here leaks, never corrupts
        this.#chunks.unlink(chunkNumber);
        [chunkNumber, offset] = [next, 0];
        chunk = this.#readChunk(chunkNumber, offset);
      }
      const length = chunk.words[offset >> 2]!;
      const kind = chunk.words[(offset >> 2) + 1]!;
      const from = offset + RECORD_HEADER_BYTES;
      if (length < 0 || length > chunk.bytes.byteLength - from) {
        throw this.#chunks.corrupted(`the record at offset ${offset} of chunk ${chunkNumber} claims ${length} bytes, in a chunk of ${chunk.bytes.byteLength}`);
      }
      this.#chunks.checkIntact(chunk, from, from + length);
      const bytes = new Uint8Array(chunk.bytes.buffer, from, length);
      Atomics.store(this.#positions, HEAD, position(chunkNumber, offset + align8(RECORD_HEADER_BYTES + length))); // the take
      Atomics.sub(this.#block.words, this.#base + COUNT, 1);
      return { kind, bytes };
    } finally {
      this.#locks.release(this.#base + READ_LOCK);
      this.#forgetPassedChunks();
    }
  }

  #readChunk(number: number, offset: number): Chunk {
    const chunk = this.#chunks.open(number);
    if (!chunk) throw this.#chunks.corrupted(`the head points to chunk ${number}, which does not exist (or is another user's)`);
    this.#checkOffset(chunk, offset, 'head');
    return chunk;
  }

  #checkedChunkNumber(at: bigint, which: string): number {
    const number = chunkOf(at);
    if (number < 1) throw this.#chunks.corrupted(`the ${which} points to chunk ${number}`);
    return number;
  }

  /** A position's offset must leave room for a record header inside its chunk. */
  #checkOffset(chunk: Chunk, offset: number, which: string): void {
    if (offset % 8 !== 0 || offset + RECORD_HEADER_BYTES > chunk.bytes.byteLength) {
      throw this.#chunks.corrupted(`the ${which} points to offset ${offset} of chunk ${chunk.number}, which is ${chunk.bytes.byteLength} bytes long`);
    }
  }

  /**
   * Waits until a record may be there, `timeoutMs` at most (undefined: forever). Callers loop:
   * check, wait, check again. `spins` loads of the tail come first, which catch a hand-off
   * between busy processes in microseconds, where parking costs an event-loop wake-up.
   * `shouldNotPark`, asked after the spin, may end the wait at once (the writers are gone).
   * `blockMs` (> 0) then waits that long at most in the kernel, this thread blocked, before it parks.
   */
  async waitForRecord(timeoutMs: number | undefined, spins: number, shouldNotPark?: () => boolean, blockMs = 0): Promise<WaitOutcome> {
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
      if (blockMs > 0 && (timeoutMs === undefined || timeoutMs > 0)) {
        // A short wait in the kernel, woken by the writer itself: it gives the core to the writer
        // (which may be waiting for one) and costs one wake-up, where parking costs two (the
        // waiting thread's, then the event loop's).
        const outcome = waitWordSync(this.#block, this.#base + DATA_SEQ, sequence, Math.min(blockMs, timeoutMs ?? blockMs));
        if (outcome !== 'timed-out' || this.hasRecord()) return 'ok';
        if (timeoutMs !== undefined && timeoutMs <= blockMs) return 'timed-out';
      }
      return await waitWord(this.#block, this.#base + DATA_SEQ, sequence, timeoutMs);
    } finally {
      Atomics.sub(words, this.#base + READERS_WAITING, 1);
    }
  }

  /**
   * Blocks this thread until a record may be there, `timeoutMs` at most; true when one is. For
   * a reader whose answer comes within moments (a manager call): the writer's wake-up reaches
   * it directly, with no waiting thread and no event-loop wake-up in between, and the wait
   * costs no CPU; the thread's event loop stands still meanwhile, so keep `timeoutMs` short.
   */
  waitForRecordSync(timeoutMs: number): boolean {
    if (this.hasRecord()) return true;
    const words = this.#block.words;
    const sequence = Atomics.load(words, this.#base + DATA_SEQ);
    Atomics.add(words, this.#base + READERS_WAITING, 1);
    try {
      if (!this.hasRecord()) waitWordSync(this.#block, this.#base + DATA_SEQ, sequence, timeoutMs);
    } finally {
      Atomics.sub(words, this.#base + READERS_WAITING, 1);
    }
    return this.hasRecord();
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
    if (first < 1 || last < first || last - first > 1 << 16) return; // corrupted positions: leave the rest to the tracker
    for (let chunk = first; chunk <= last + 1; chunk++) this.#chunks.unlink(chunk); // +1: a chunk a killed writer left
    this.#chunks.clear();
  }

  /** Drops this thread's mappings of chunks every reader has left (the memory goes with the last one). */
  #forgetPassedChunks(): void {
    const mapped = this.#chunks.mapped;
    if (mapped.size < 2) return;
    const head = chunkOf(Atomics.load(this.#positions, HEAD));
    const tail = chunkOf(Atomics.load(this.#positions, TAIL));
    for (const number of mapped.keys()) if (number !== head && number !== tail) this.#chunks.forget(number);
  }
}
