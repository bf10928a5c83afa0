// The whole surface of the native addon (src/native/cc), typed in one place. Arguments are
// checked in TypeScript before they reach C++; system-call errors come back as Errors with
// `code` (the errno name) and `syscall`.

/** A pending blocking call (run on a native waiting thread), for interruptBlockingCall. */
export type BlockingCallId = number;

/** How a futex wait ended. */
export type FutexWaitResult = 'ok' | 'not-equal' | 'timed-out';

export interface NativeBinding {
  /** A new anonymous shared-memory segment (memfd_create); returns its fd. */
  memfdCreate(name: string): number;
  /** Opens (or creates) a named POSIX segment, /dev/shm/<name>; returns its fd. */
  shmOpen(name: string, create: boolean, exclusive: boolean, mode: number): number;
  /** Removes a named segment; existing mappings stay valid. */
  shmUnlink(name: string): void;
  /** Sets a segment's size in bytes (ftruncate). */
  resize(fd: number, bytes: number): void;
  /** A segment's size in bytes (fstat). */
  sizeOf(fd: number): number;
  /** Forbids making a memfd smaller, ever (F_SEAL_SHRINK with F_SEAL_SEAL). */
  sealAgainstShrinking(fd: number): void;
  /** A shared-memory file's seals (F_GET_SEALS); -1 for a file that cannot carry seals (not shared memory). */
  sealsOf(fd: number): number;
  closeFd(fd: number): void;
  /**
   * Maps a segment MAP_SHARED as a SharedArrayBuffer; unmapped when garbage-collected. A guarded
   * mapping cut short by someone else's ftruncate does not kill the process (SIGBUS): the pages
   * past the cut read as zeros, and hasFaulted(buffer) and mappingFaults() tell.
   */
  mapShared(fd: number, bytes: number, guarded?: boolean): SharedArrayBuffer;
  /** A one-word view of how many faults guarded mappings of this process caught so far. */
  mappingFaults(): Int32Array;
  /** True when a fault was caught in the guarded mapping behind this buffer. */
  hasFaulted(buffer: SharedArrayBuffer): boolean;
  /**
   * Blocks this thread while the 32-bit word at byteOffset equals `expected` (timeout < 0, or too
   * long for a timespec: forever); a failed wait throws an Error naming the call and the errno.
   */
  futexWait(buffer: SharedArrayBuffer, byteOffset: number, expected: number, timeoutMs: number): FutexWaitResult;
  /**
   * Waits like futexWait without blocking: `callback(outcome)` runs later on this thread's event
   * loop, with an Error (`syscall: 'futex'`, `code`: the errno) when the wait failed. A pending
   * wait keeps the event loop alive. Returns the wait's id, for interruptBlockingCall.
   */
  futexWaitAsync(
    buffer: SharedArrayBuffer,
    byteOffset: number,
    expected: number,
    timeoutMs: number,
    callback: (outcome: FutexWaitResult | Error) => void,
  ): BlockingCallId;
  /**
   * Asks a pending blocking call (one that returned a BlockingCallId) to stop: its thread is
   * interrupted, the system call returns having done nothing, and its callback gets an Error with
   * `code: 'EINTR'`; a call that completed anyway reports its result. False when it had finished.
   */
  interruptBlockingCall(id: BlockingCallId): boolean;
  /** Wakes up to `count` waiters on the word, in any process; returns how many were woken. */
  futexWake(buffer: SharedArrayBuffer, byteOffset: number, count: number): number;
  /** True while a process with this pid exists. */
  isProcessAlive(pid: number): boolean;
  /** Asks the kernel to send `signal` to this process when its parent dies (PR_SET_PDEATHSIG). */
  setParentDeathSignal(signal: number): void;
  /** Connects to a Unix socket (a leading "\0" names an abstract one), blocking; returns the fd. */
  unixConnect(address: string): number;
  /** A Unix socket bound and listening when this returns (connections wait in its backlog); its fd. */
  unixListen(address: string): number;
  /**
   * From now on, `callback(fd)` for each connection accepted on a listening Unix socket (the fd
   * non-blocking and close-on-exec), on this thread's event loop, which the watch keeps alive;
   * `callback(error)` once, ending the watch, if accepting fails (EMFILE...).
   */
  unixAcceptEach(listening: number, callback: (accepted: number | Error) => void): void;
  /**
   * A TCP socket bound to host:port (port 0: a free one) and listening when this returns; its fd
   * (close-on-exec, non-blocking, SO_REUSEADDR). A host name binds its first IPv4 address, as
   * Python's AF_INET Listener does, else its first IPv6 one. A failed lookup throws with Node's
   * code (ENOTFOUND...) and `syscall: 'getaddrinfo'`.
   */
  tcpListen(host: string, port: number, backlog: number): number;
  /** Who is at the other end of a connected Unix socket, as the kernel saw it at connect() (SO_PEERCRED). */
  peerCredentials(fd: number): PeerCredentials;
  /** An unnamed pipe (pipe2, close-on-exec, blocking): [read end, write end]. */
  pipeCreate(): [number, number];
  /** A connected AF_UNIX stream socket pair (close-on-exec, blocking). */
  socketPairCreate(): [number, number];
  /** Creates a FIFO (mkfifo(3); the umask applies to `mode`). Throws with `syscall: 'mkfifo'` naming the path. */
  makeFifo(path: string, mode: number): void;
  /**
   * Opens a FIFO for reading or writing on a waiting thread (the open blocks until the other side
   * opens): `callback(fd)` with a blocking, close-on-exec descriptor, `callback(-1)` when the path
   * is not a FIFO (nothing was opened), or `callback(error)`. Returns the call's id.
   */
  openFifoAsync(path: string, writable: boolean, callback: (outcome: number | Error) => void): BlockingCallId;
  /**
   * Opens the pipe or FIFO at `path` (a /proc/<pid>/fd link) without waiting for the other side
   * (a write end with no reader throws ENXIO), then makes it blocking if asked; -1 when the path
   * is not a pipe (nothing was opened). Close-on-exec.
   */
  openPipeEnd(path: string, writable: boolean, blocking: boolean): number;
}

/** A Unix socket peer's process and user, from the kernel (SO_PEERCRED). */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}
