// One end of a pipe or FIFO as a node:stream (pipe() and openFifo() make them), and how such an
// end travels to another process of the tree as a handle.
//
// Each end holds two descriptors of the pipe. Its stream reads or writes through a private,
// non-blocking one (libuv watches it on the event loop); `fd` is a blocking one, kept for
// children: O_NONBLOCK belongs to an open file description, shared by everyone holding a
// duplicate of it, so a child given the stream's own descriptor would find its reads failing
// with EAGAIN (Python's os.read raises BlockingIOError). Both close together.
//
// A handle names the end by the sender's pid, its start time and a descriptor number; the
// receiver opens /proc/<pid>/fd/<fd> (a new description of the same pipe), after checking that
// the pid is still the same process and that the descriptor is a pipe, the very one recorded.

import { closeSync, fstatSync } from 'node:fs';
import { Socket, type SocketConstructorOpts } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { describeValue } from '../base/validate.js';
import { writeDirectly } from '../connection/direct-write.js';
import { noteInFlight } from '../connection/holdings.js';
import { refusedRecord } from '../memory/arena.js';
import { startTimeOf } from '../base/proc-stat.js';
import type { NativeBinding } from '../native/binding.js';
import { requireNative } from '../native/loader.js';
import { registerHandleType } from '../tasks/codec.js';

/** The reading end of a pipe or FIFO: a Readable stream, and the descriptor to give a child. */
export interface PipeReadable extends Readable {
  /**
   * A blocking descriptor of this end, to put in a child's `stdio` (or give the whole stream:
   * `spawn` takes its `fd`); -1 once the stream is closed. Close the stream here after spawning
   * when only the child should read.
   */
  readonly fd: number;
}

/** The writing end of a pipe or FIFO: a Writable stream, and the descriptor to give a child. */
export interface PipeWritable extends Writable {
  /**
   * A blocking descriptor of this end, to put in a child's `stdio` (or give the whole stream:
   * `spawn` takes its `fd`); -1 once the stream is closed. Close the stream here after spawning,
   * or the reader never sees the end of the stream.
   */
  readonly fd: number;
}

type PipeStream = PipeReadable | PipeWritable;

interface EndState {
  /** The blocking descriptor (`fd`); -1 once closed. */
  fd: number;
  readonly isWritable: boolean;
  readonly name: string;
}

const ends = new WeakMap<object, EndState>();

/**
 * Makes a stream of `fd`, a blocking descriptor of a pipe or FIFO that the stream owns from now
 * on. `name` describes it in errors ("pipe", `FIFO "/tmp/jobs"`). `own`, if given, is the
 * non-blocking descriptor of the same end the stream reads or writes through (owned too);
 * otherwise one is opened here.
 */
export function pipeStream(native: NativeBinding, fd: number, isWritable: true, name: string, own?: number): PipeWritable;
export function pipeStream(native: NativeBinding, fd: number, isWritable: false, name: string, own?: number): PipeReadable;
export function pipeStream(native: NativeBinding, fd: number, isWritable: boolean, name: string, own?: number): PipeStream;
export function pipeStream(native: NativeBinding, fd: number, isWritable: boolean, name: string, own?: number): PipeStream {
  if (own === undefined) {
    try {
      own = native.openPipeEnd(`/proc/self/fd/${fd}`, isWritable, false);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }
  // manualStart: a readable end reads only once its consumer asks (read(), 'data', pipe()), so
  // an end kept here only to be given to a child never takes bytes meant for that child.
  const socket = new Socket({ fd: own, readable: !isWritable, writable: isWritable, manualStart: true } as SocketConstructorOpts);
  if (isWritable) writeDirectly(socket, own);
  const state: EndState = { fd, isWritable, name };
  ends.set(socket, state);
  Object.defineProperty(socket, 'fd', { get: () => state.fd, enumerable: true });
  // Closed with the stream, as destroy() runs (its 'close' event comes a tick later).
  const destroyStream = socket._destroy;
  socket._destroy = (error, callback) => {
    if (state.fd >= 0) closeSync(state.fd);
    state.fd = -1;
    destroyStream.call(socket, error, callback);
  };
  return socket as unknown as PipeStream;
}

/** The wire form of a pipe end: a descriptor of a process, which the receiver opens through /proc. */
interface PipeEndRecord {
  readonly pid: number;
  /** The sender's start time: with the pid, names one process for good. */
  readonly startTime: string;
  readonly fd: number;
  /** The pipe's device and inode, as decimal strings (the descriptor must still lead to it). */
  readonly device: string;
  readonly inode: string;
  readonly isWritable: boolean;
  readonly name: string;
}

const RECEIVED = 'Received pipe end';

function identityOf(fd: number): { device: string; inode: string } {
  const stat = fstatSync(fd, { bigint: true });
  return { device: String(stat.dev), inode: String(stat.ino) };
}

let ownStartTime: string | null = null;

/** Another descriptor of the end, or -1 (a write end whose readers are all gone: ENXIO). */
function keeperOf(native: NativeBinding, state: EndState): number {
  try {
    return native.openPipeEnd(`/proc/self/fd/${state.fd}`, state.isWritable, true);
  } catch {
    return -1;
  }
}

function toRecord(native: NativeBinding, stream: PipeStream, where: string): PipeEndRecord {
  const state = ends.get(stream);
  if (state === undefined || state.fd < 0 || stream.destroyed) {
    throw new TypeError(`${where}: a closed pipe end cannot be sent; send it before closing it here.`);
  }
  ownStartTime ??= startTimeOf(process.pid) ?? '';
  // A Process gives its in-flight copies up when its child exits: hold a descriptor for the
  // child until then, so the sender may close its end right after start(), as with os.pipe.
  // Elsewhere (a pool's task) the sender's own descriptor is named: keep the end open until
  // the receiver has it.
  let fd = state.fd;
  const keeper = keeperOf(native, state);
  if (keeper >= 0 && noteInFlight(() => closeSync(keeper))) fd = keeper;
  else if (keeper >= 0) closeSync(keeper);
  return { pid: process.pid, startTime: ownStartTime, fd, ...identityOf(fd), isWritable: state.isWritable, name: state.name };
}

const DECIMAL = /^[0-9]{1,20}$/;

/** The fields of a received record, checked before anything is opened. */
function checkRecord(data: unknown): PipeEndRecord {
  const record = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const refuse = (field: string, expected: string) => refusedRecord(RECEIVED, `"${field}" must be ${expected}, received ${describeValue(record[field])}`);
  if (!Number.isSafeInteger(record.pid) || (record.pid as number) < 1) throw refuse('pid', 'a process id');
  if (typeof record.startTime !== 'string' || !DECIMAL.test(record.startTime)) throw refuse('startTime', 'a decimal string');
  if (!Number.isSafeInteger(record.fd) || (record.fd as number) < 0 || (record.fd as number) > 2 ** 31 - 1) throw refuse('fd', 'a descriptor number');
  if (typeof record.device !== 'string' || !DECIMAL.test(record.device)) throw refuse('device', 'a decimal string');
  if (typeof record.inode !== 'string' || !DECIMAL.test(record.inode)) throw refuse('inode', 'a decimal string');
  if (typeof record.isWritable !== 'boolean') throw refuse('isWritable', 'a boolean');
  if (typeof record.name !== 'string' || record.name.length > 4200) throw refuse('name', 'a string');
  return record as unknown as PipeEndRecord;
}

function fromRecord(data: unknown): PipeStream {
  const native = requireNative('pipe');
  const record = checkRecord(data);
  const { pid, fd, isWritable } = record;
  if (startTimeOf(pid) !== record.startTime) throw refusedRecord(RECEIVED, `process ${pid}, which sent it, is gone`);
  const path = `/proc/${pid}/fd/${fd}`;
  let opened: number;
  try {
    // Opened without waiting (a FIFO open would wait for a partner), and only if it is a pipe.
    opened = native.openPipeEnd(path, isWritable, true);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENXIO' ? 'nobody holds its reading end any more' : `${path} cannot be opened (${code ?? String(error)})`;
    throw refusedRecord(RECEIVED, `${why}; is the sender alive, and did it keep its end open until this process had it?`);
  }
  if (opened < 0) throw refusedRecord(RECEIVED, `descriptor ${fd} of process ${pid} is not a pipe`);
  const identity = identityOf(opened);
  // The same pipe, in the same process: not a descriptor number closed and reused meanwhile.
  if (identity.device !== record.device || identity.inode !== record.inode || startTimeOf(pid) !== record.startTime) {
    closeSync(opened);
    throw refusedRecord(RECEIVED, `descriptor ${fd} of process ${pid} no longer leads to the pipe it sent`);
  }
  return pipeStream(native, opened, isWritable, record.name);
}

registerHandleType<PipeStream>({
  tag: 'pipe-end',
  matches: (value): value is PipeStream => ends.has(value),
  encode: (stream, _destination, where) => toRecord(requireNative('pipe'), stream, where),
  decode: fromRecord,
});
