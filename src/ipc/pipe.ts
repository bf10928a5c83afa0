// pipe(): Python's os.pipe() as two node:streams. Its ends go to a plain child in `stdio`
// (spawn takes an end's `fd`), and to multiproc children (Process args, pool tasks) as handles
// (pipe-end.ts).

import { requireNative } from '../native/loader.js';
import { type PipeReadable, type PipeWritable, pipeStream } from './pipe-end.js';

/**
 * An unnamed pipe (Python's `os.pipe()`): `[readable, writable]` node:streams. Bytes written to
 * the second come out of the first, in order; the reader gets `'end'` once every copy of the
 * writing end is closed (here, in children, anywhere). Writing waits for room (backpressure:
 * `write()` returns false, then `'drain'`); writing after every reader closed emits an `EPIPE` error.
 *
 * Give an end to a plain child in its `stdio` (the stream itself, or its `fd`), then close it
 * here; give it to a multiproc `Process` as an argument, where it arrives as the same kind of stream.
 *
 * @example
 * const [readable, writable] = pipe();
 * const child = spawn('python3', ['-c', 'import os; os.write(3, b"hi")'], { stdio: ['ignore', 'inherit', 'inherit', writable] });
 * writable.destroy(); // the child holds the writing end now
 * for await (const chunk of readable) process.stdout.write(chunk); // hi
 */
export function pipe(): [PipeReadable, PipeWritable] {
  const native = requireNative('pipe');
  const [readFd, writeFd] = native.pipeCreate();
  let readable: PipeReadable;
  try {
    readable = pipeStream(native, readFd, false, 'pipe');
  } catch (error) {
    native.closeFd(writeFd);
    throw error;
  }
  try {
    return [readable, pipeStream(native, writeFd, true, 'pipe')];
  } catch (error) {
    readable.destroy();
    throw error;
  }
}
