// Every error class multiproc throws (SPEC §13). Each has a stable `code`; the standard
// TypeError / RangeError it throws carry Node's codes instead (see validate.ts).
// Classes are looked up by name when an error crosses from a child (tasks/errors-codec.ts).

/** Base of all multiproc errors. */
export class ProcessError extends Error {
  readonly code: string = 'ERR_MP_PROCESS';
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A wait ran out of time (Python's `multiprocessing.TimeoutError`). */
export class TimeoutError extends ProcessError {
  override readonly code = 'ERR_MP_TIMEOUT';
}
/** The other side of a connection failed the authkey challenge. */
export class AuthenticationError extends ProcessError {
  override readonly code = 'ERR_MP_AUTHENTICATION';
}
/** A received message is larger than the buffer given to `recvBytesInto`. */
export class BufferTooShort extends ProcessError {
  override readonly code = 'ERR_MP_BUFFER_TOO_SHORT';
}
/** A non-blocking or timed `get` found the queue empty (Python's `queue.Empty`). */
export class Empty extends ProcessError {
  override readonly code = 'ERR_MP_EMPTY';
}
/** A non-blocking or timed `put` found the queue full (Python's `queue.Full`). */
export class Full extends ProcessError {
  override readonly code = 'ERR_MP_FULL';
}
/** The other end of a connection is closed. */
export class EOFError extends ProcessError {
  override readonly code = 'ERR_MP_EOF';
}
/** A key is missing from a managed dict and no default was given. */
export class KeyError extends ProcessError {
  override readonly code = 'ERR_MP_KEY';
}
/** A barrier was reset or aborted while parties waited. */
export class BrokenBarrierError extends ProcessError {
  override readonly code = 'ERR_MP_BROKEN_BARRIER';
}
/**
 * An executor lost a worker and accepts no more work (Python's `concurrent.futures.BrokenExecutor`):
 * the base of BrokenProcessPool and BrokenThreadPool, to catch either.
 */
export class BrokenExecutor extends ProcessError {
  override readonly code: string = 'ERR_MP_BROKEN_EXECUTOR';
}
/** A process pool executor lost a worker; it accepts no more work. */
export class BrokenProcessPool extends BrokenExecutor {
  override readonly code = 'ERR_MP_BROKEN_PROCESS_POOL';
}
/** A thread pool executor lost a worker; it accepts no more work. */
export class BrokenThreadPool extends BrokenExecutor {
  override readonly code = 'ERR_MP_BROKEN_THREAD_POOL';
}
/** The work was cancelled (a terminated pool, a cancelled future). */
export class CancelledError extends ProcessError {
  override readonly code = 'ERR_MP_CANCELLED';
}
/** An object was used in a state that does not allow the call (start twice, use after close...). */
export class InvalidStateError extends ProcessError {
  override readonly code = 'ERR_MP_INVALID_STATE';
}
/** The worker running a task died before the task finished (killed, crashed, exited). */
export class WorkerLostError extends ProcessError {
  override readonly code = 'ERR_MP_WORKER_LOST';
}
/**
 * The stack of an error thrown in another process or thread (Python's `RemoteTraceback`).
 * It is the `cause` of the error re-thrown in the parent.
 */
export class RemoteError extends ProcessError {
  override readonly code = 'ERR_MP_REMOTE';
}

/** Name -> class, for re-creating errors that crossed from a child. */
export const errorClasses: ReadonlyMap<string, new (message?: string, options?: ErrorOptions) => Error> = new Map<
  string,
  new (
    message?: string,
    options?: ErrorOptions,
  ) => Error
>([
  ['Error', Error],
  ['TypeError', TypeError],
  ['RangeError', RangeError],
  ['ReferenceError', ReferenceError],
  ['SyntaxError', SyntaxError],
  ['EvalError', EvalError],
  ['URIError', URIError],
  ['ProcessError', ProcessError],
  ['TimeoutError', TimeoutError],
  ['AuthenticationError', AuthenticationError],
  ['BufferTooShort', BufferTooShort],
  ['Empty', Empty],
  ['Full', Full],
  ['EOFError', EOFError],
  ['KeyError', KeyError],
  ['BrokenBarrierError', BrokenBarrierError],
  ['BrokenExecutor', BrokenExecutor],
  ['BrokenProcessPool', BrokenProcessPool],
  ['BrokenThreadPool', BrokenThreadPool],
  ['CancelledError', CancelledError],
  ['InvalidStateError', InvalidStateError],
  ['WorkerLostError', WorkerLostError],
  ['RemoteError', RemoteError],
]);
