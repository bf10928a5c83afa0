// Pipe(): two connected ends in shared memory. Each direction is a channel (channel.ts); each
// end has a holder table, so a reader gets EOFError once every holder of the other end closed it
// or died (SIGKILL included), after the last message it sent. An end travels to other processes
// and threads as a handle to the same memory.

import type { NativeBinding } from '../native/binding.js';
import { requireNative } from '../native/loader.js';
import { allocateBlock, type BlockRecord, blockFromRecord, blockToRecord, refusedRecord, type SharedBlock } from '../memory/arena.js';
import { registerHandleType } from '../tasks/codec.js';
import { describeValue, invalidType } from '../base/validate.js';
import { isChannelName } from '../memory/segment-names.js';
import { Channel, CHANNEL_WORDS, newChannelName } from './channel.js';
import { Connection, type Transport, type TransportRecord, transportOf } from './connection.js';
import { HolderTable, holderTableWords, type InFlight, isInFlight } from './holders.js';
import { hold, letGo, noteInFlight } from './holdings.js';

type End = 0 | 1;

const TABLE_SLOTS = 32;
/** Channel e is read by end e; in a one-way pipe only channel 0 exists (end 1 writes it). */
const CHANNEL_BASES = [0, CHANNEL_WORDS] as const;
const TABLE_STARTS = [2 * CHANNEL_WORDS, 2 * CHANNEL_WORDS + holderTableWords(TABLE_SLOTS)] as const;
const PIPE_WORDS = TABLE_STARTS[1] + holderTableWords(TABLE_SLOTS);

/**
 * Loads of the channel before a waiting reader sleeps (see Channel.waitForRecord): about 15 µs,
 * longer than a round trip between two busy processes. A longer spin (20,000 loads, 150 µs)
 * made a round trip 3-4x slower on a loaded machine: the spinner held the core its peer needed.
 */
const SPINS = 2_000;
/** Then a wait in the kernel, this long at most, woken by the writer; then the reader parks. */
const BLOCK_MS = 0.2;
/** A parked reader wakes this often to see whether the other end's holders are still alive. */
const LIVENESS_CHECK_MS = 100;
/** A sender checks this often that someone can still read what it sends. */
const READER_CHECK_MS = 200;

interface PipeShape {
  readonly name: string;
  readonly duplex: boolean;
}

interface PipeEndRecord extends PipeShape {
  readonly block: BlockRecord;
  readonly end: End;
  readonly copy: InFlight;
}

class PipeEnd implements Transport {
  readonly origin = 'tree';
  readonly readable: boolean;
  readonly writable: boolean;
  readonly #block: SharedBlock;
  readonly #shape: PipeShape;
  readonly #end: End;
  readonly #reader: Channel | null;
  readonly #writer: Channel | null;
  readonly #own: HolderTable;
  readonly #peer: HolderTable;
  #isConfirmed = false;
  #isClosed = false;
  #readerCheckedAt = 0;
  #hasWaited = false;

  constructor(native: NativeBinding, block: SharedBlock, shape: PipeShape, end: End, isCreator: boolean) {
    this.#block = block;
    this.#shape = shape;
    this.#end = end;
    this.readable = shape.duplex || end === 0;
    this.writable = shape.duplex || end === 1;
    const channel = (index: End) => new Channel(native, block, CHANNEL_BASES[index], `${shape.name}-${index}`);
    this.#reader = this.readable ? channel(end) : null;
    this.#writer = this.writable ? channel(shape.duplex ? ((1 - end) as End) : 0) : null;
    this.#own = new HolderTable(block.words, { start: TABLE_STARTS[end], slots: TABLE_SLOTS });
    this.#peer = new HolderTable(block.words, { start: TABLE_STARTS[1 - end]!, slots: TABLE_SLOTS });
    this.#isConfirmed = !isCreator;
    hold(
      this.#key,
      () => this.#own.register(isCreator),
      () => this.#release(),
    );
  }

  get #key(): string {
    return `${this.#shape.name}:${this.#end}`;
  }

  write(kind: number, parts: readonly Uint8Array[]): void {
    this.#confirm();
    const now = performance.now();
    if (now - this.#readerCheckedAt > READER_CHECK_MS) {
      this.#readerCheckedAt = now;
      if (!this.#peer.hasLiveHolder()) {
        throw Object.assign(new Error(`Connection.send: the other end of the pipe is closed; nobody can receive this message (broken pipe).`), { code: 'EPIPE' });
      }
    }
    this.#writer!.write(kind, parts);
  }

  tryRead(): TransportRecord | null | 'eof' {
    this.#confirm();
    const record = this.#reader!.tryRead();
    // Whether the writers are gone is asked only after a wait: it costs system calls, and a
    // reader that finds nothing at first usually finds its message while spinning.
    if (record !== null || !this.#hasWaited) return record;
    this.#hasWaited = false;
    if (this.#peer.hasLiveHolder()) return null;
    return this.#reader!.tryRead() ?? 'eof'; // the last message may have come just before its writer left
  }

  peek(): 'record' | 'eof' | null {
    if (this.#reader!.hasRecord()) return 'record';
    return this.#peer.hasLiveHolder() || this.#reader!.hasRecord() ? null : 'eof';
  }

  async waitForRecord(timeoutMs: number | undefined, isFirstWait: boolean): Promise<void> {
    const limit = timeoutMs === undefined ? LIVENESS_CHECK_MS : Math.min(timeoutMs, LIVENESS_CHECK_MS);
    await this.#reader!.waitForRecord(limit, isFirstWait ? SPINS : 0, () => !this.#peer.hasLiveHolder(), isFirstWait ? BLOCK_MS : 0);
    this.#hasWaited = true;
  }

  waitForRecordSync(timeoutMs: number): boolean {
    return this.#reader!.waitForRecordSync(timeoutMs);
  }

  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    letGo(this.#key);
  }

  describe(): string {
    return `pipe (${this.#shape.duplex ? 'two-way' : this.readable ? 'receiving end' : 'sending end'})`;
  }

  /** The wire form; the copy counts as a holder until the receiver registers. */
  toRecord(where: string): PipeEndRecord {
    const copy = this.#own.markInFlight();
    noteInFlight(() => this.#own.clearInFlight(copy));
    return { ...this.#shape, block: blockToRecord(this.#block, 'process', where), end: this.#end, copy };
  }

  /** This copy arrived: it no longer counts as one on its way. */
  received(copy: InFlight): void {
    this.#own.clearInFlight(copy);
  }

  /** A provisional holder (the creator) that uses its end counts from now on. */
  #confirm(): void {
    if (this.#isConfirmed) return;
    this.#isConfirmed = true;
    this.#own.confirm();
  }

  /** The last copy here closed (or the thread exits): unregister, wake the other end's readers. */
  #release(): void {
    this.#own.unregister();
    this.#writer?.wakeReaders();
    if (this.#own.hasLiveHolder() || this.#peer.hasLiveHolder()) return;
    this.#reader?.destroy(); // nobody can use the pipe any more
    this.#writer?.destroy();
  }
}

function connectionOf<T>(transport: PipeEnd): Connection<T> {
  return new Connection<T>(transport);
}

/**
 * Two connected ends: with `duplex` (the default) both send and receive; otherwise the first
 * only receives and the second only sends. Pass an end to a child as an argument. `T` types
 * what the ends carry (`Pipe<number>()`: `send(1)`, `await recv()` is a number).
 *
 * @example
 * const [parentEnd, childEnd] = Pipe();
 * const child = new Process({ target: greet, args: [childEnd] });
 * child.start();
 * console.log(await parentEnd.recv());
 */
export function Pipe<T = unknown>(duplex = true): [Connection<T>, Connection<T>] {
  if (typeof duplex !== 'boolean') throw invalidType('Pipe: "duplex"', 'a boolean', duplex);
  const native = requireNative('Pipe');
  const block = allocateBlock(PIPE_WORDS);
  const shape: PipeShape = { name: newChannelName(native), duplex };
  return [connectionOf<T>(new PipeEnd(native, block, shape, 0, true)), connectionOf<T>(new PipeEnd(native, block, shape, 1, true))];
}

const RECEIVED = 'Received pipe end';

/** The plain fields of a received pipe end, checked before anything is opened (the block is checked by arena.ts). */
function checkPipeEndRecord(data: unknown): PipeEndRecord {
  const record = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  if (!isChannelName(record.name)) throw refusedRecord(RECEIVED, `"name" must be a pipe's name ("mpc-" and 16 hex digits), received ${describeValue(record.name)}`);
  if (typeof record.duplex !== 'boolean') throw refusedRecord(RECEIVED, `"duplex" must be a boolean, received ${describeValue(record.duplex)}`);
  if (record.end !== 0 && record.end !== 1) throw refusedRecord(RECEIVED, `"end" must be 0 or 1, received ${describeValue(record.end)}`);
  if (!isInFlight(record.copy)) throw refusedRecord(RECEIVED, `"copy" must be { pid, token } integers, received ${describeValue(record.copy)}`);
  return record as unknown as PipeEndRecord;
}

registerHandleType<Connection>({
  tag: 'connection',
  matches: (value): value is Connection => value instanceof Connection,
  encode: (connection, _destination, where) => {
    if (connection.closed) throw new TypeError(`${where}: a closed Connection cannot be sent.`);
    const transport = transportOf(connection);
    if (!(transport instanceof PipeEnd)) {
      throw new TypeError(`${where}: a socket Connection (from Listener or Client) cannot be sent to another process or thread; connect from there instead.`);
    }
    return transport.toRecord(where);
  },
  decode: (data) => {
    const record = checkPipeEndRecord(data);
    const block = blockFromRecord(record.block, RECEIVED, PIPE_WORDS * 4);
    const end = new PipeEnd(requireNative('Pipe'), block, record, record.end, false);
    end.received(record.copy);
    return connectionOf(end);
  },
});
