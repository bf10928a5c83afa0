// Named pipes (FIFOs): mkfifo() makes one, openFifo() opens one end as a node:stream. Opening a
// FIFO blocks until the other side opens it too, so the open runs on one of the addon's waiting
// threads (base/blocking-call.ts): the event loop goes on, and a timeout or an abort interrupts
// the open, which then opens nothing.

import { statSync } from 'node:fs';
import { checkSignal } from '../base/abort.js';
import { blockingCall } from '../base/blocking-call.js';
import { checkInteger, checkOptionsObject, checkTimeout, invalidType, invalidValue, outOfRange } from '../base/validate.js';
import { requireNative } from '../native/loader.js';
import { type PipeReadable, type PipeWritable, pipeStream } from './pipe-end.js';

export interface MkfifoOptions {
  /** Permission bits of the new FIFO (the process umask applies, as for `os.mkfifo`). @default 0o600 */
  mode?: number;
}

export interface OpenFifoOptions {
  /** Milliseconds to wait for the other side to open the FIFO; then rejects with TimeoutError. Absent: forever. */
  timeout?: number | null;
  /** Aborting it ends the wait (rejects with its reason); nothing stays open. */
  signal?: AbortSignal | null;
}

function checkPath(where: string, path: unknown): string {
  if (typeof path !== 'string') throw invalidType(`${where}: "path"`, 'a string (a file path)', path);
  if (path === '' || path.includes('\0')) throw invalidValue(`${where}: "path"`, 'a non-empty file path without NUL characters', path);
  return path;
}

/**
 * Creates a FIFO (a named pipe) at `path`, as Python's `os.mkfifo(path, mode)`; rejects with
 * the system's error (`EEXIST` when the path exists, `ENOENT` for a missing directory) naming
 * the path. The FIFO stays until the file is removed (`fs.unlink`).
 *
 * @example
 * await mkfifo('/tmp/jobs.fifo');
 * const writer = await openFifo('/tmp/jobs.fifo', 'w'); // resolves once a reader opened it
 */
export async function mkfifo(path: string, options: MkfifoOptions = {}): Promise<void> {
  const checked = checkPath('mkfifo', path);
  checkOptionsObject('mkfifo: options', options);
  const mode = options?.mode === undefined ? 0o600 : checkInteger('mkfifo: "mode"', options.mode, 0);
  if (mode > 0o777) throw outOfRange('mkfifo: "mode"', 'permission bits from 0 to 0o777', options?.mode);
  requireNative('mkfifo').makeFifo(checked, mode);
}

/** Why `path`, which opened as something else, is no FIFO. */
function notFifo(path: string): TypeError {
  let kind = 'not a FIFO';
  try {
    const stat = statSync(path);
    kind = stat.isDirectory() ? 'a directory' : stat.isFile() ? 'a regular file' : stat.isSocket() ? 'a socket' : 'not a FIFO';
  } catch {
    // gone meanwhile
  }
  return invalidValue('openFifo: "path"', 'the path of a FIFO', path, `It is ${kind}; make a FIFO with mkfifo(path).`);
}

/**
 * Opens one end of the FIFO at `path`: `'r'` resolves to a Readable, `'w'` to a Writable, once
 * the other side (any process: another program, a Python script) has opened it too, as
 * `open(path, 'rb')` does in Python. The event loop runs meanwhile. A `timeout` (ms) rejects
 * with TimeoutError, an aborted `signal` with its reason; either way nothing is left open.
 * A path that is not a FIFO rejects with a TypeError (ERR_INVALID_ARG_VALUE).
 *
 * The reader gets `'end'` once every writer closed; a writer whose readers are all gone gets
 * an `EPIPE` error. The stream's `fd` can be given to a plain child in its `stdio`, and the
 * stream itself to a multiproc Process.
 *
 * @example
 * const reader = await openFifo('/tmp/jobs.fifo', 'r', { timeout: 5000 });
 * for await (const chunk of reader) console.log(chunk.toString());
 */
export function openFifo(path: string, mode: 'r', options?: OpenFifoOptions): Promise<PipeReadable>;
export function openFifo(path: string, mode: 'w', options?: OpenFifoOptions): Promise<PipeWritable>;
export function openFifo(path: string, mode: 'r' | 'w', options?: OpenFifoOptions): Promise<PipeReadable | PipeWritable>;
export async function openFifo(path: string, mode: 'r' | 'w', options: OpenFifoOptions = {}): Promise<PipeReadable | PipeWritable> {
  const checked = checkPath('openFifo', path);
  if (mode !== 'r' && mode !== 'w') throw invalidValue('openFifo: "mode"', "'r' (read) or 'w' (write)", mode);
  checkOptionsObject('openFifo: options', options);
  const timeoutMs = checkTimeout('openFifo: "timeout"', options?.timeout);
  const signal = checkSignal('openFifo: "signal"', options?.signal);
  const native = requireNative('openFifo');
  const isWritable = mode === 'w';
  const what = `openFifo(${JSON.stringify(checked)}, '${mode}')`;
  const opened = await blockingCall<[number, number] | -1>(what, { timeoutMs, signal }, (callback) => native.openFifoAsync(checked, isWritable, callback));
  if (opened === -1) throw notFifo(checked);
  return pipeStream(native, opened[0], isWritable, `FIFO ${JSON.stringify(checked)}`, opened[1]);
}
