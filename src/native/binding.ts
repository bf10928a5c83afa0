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
  /**
   * Maps the first `bytes` of an open file (fd may be closed afterwards), always guarded against
   * the file being cut short (see mapShared). writeBack: MAP_SHARED, writes reach the file and
   * every process mapping it; else MAP_PRIVATE, copy-on-write. asShared: a SharedArrayBuffer,
   * else an ArrayBuffer. Unmapped when garbage-collected. `subject` names the file in errors.
   */
  mapFile(fd: number, bytes: number, writeBack: boolean, asShared: true, subject: string): SharedArrayBuffer;
  mapFile(fd: number, bytes: number, writeBack: boolean, asShared: false, subject: string): ArrayBuffer;
  /**
   * Replaces the file's pages under a buffer made by mapFile with anonymous zeroed memory: the
   * file is no longer mapped, and the buffer (still usable, should anyone hold it) reads zeros.
   * False when the buffer is not a mapped file's (or was released already).
   */
  releaseMappedFile(buffer: SharedArrayBuffer | ArrayBuffer): boolean;
  /**
   * Writes a mapped file's dirty pages back (msync MS_SYNC) on a waiting thread; `callback` gets
   * undefined, or an Error naming `msync(subject)`. Returns the call's id.
   */
  msyncAsync(buffer: SharedArrayBuffer | ArrayBuffer, subject: string, callback: (outcome: undefined | Error) => void): BlockingCallId;
  /** flock(fd, LOCK_SH or LOCK_EX | LOCK_NB): true when taken, false when someone holds a conflicting lock. */
  flockTry(fd: number, exclusive: boolean, subject: string): boolean;
  /** Waits for flock(fd, LOCK_SH or LOCK_EX) on a waiting thread; `callback(undefined)` once held. Returns the call's id. */
  flockWait(fd: number, exclusive: boolean, subject: string, callback: (outcome: undefined | Error) => void): BlockingCallId;
  /** flock(fd, LOCK_UN). */
  flockUnlock(fd: number, subject: string): void;
  /**
   * An open-file-description lock on bytes [offset, offset + length) of fd's file (length 0: to
   * the end, however far it grows), F_OFD_SETLK: true when taken, false when someone holds a
   * conflicting lock (an OFD lock of another description, or a process's fcntl/lockf lock).
   */
  lockRangeTry(fd: number, offset: number, length: number, exclusive: boolean, subject: string): boolean;
  /** Waits for the range (F_OFD_SETLKW) on a waiting thread; `callback(undefined)` once held. Returns the call's id. */
  lockRangeWait(
    fd: number,
    offset: number,
    length: number,
    exclusive: boolean,
    subject: string,
    callback: (outcome: undefined | Error) => void,
  ): BlockingCallId;
  /** Releases fd's description's locks on the range (F_OFD_SETLK with F_UNLCK). */
  unlockRange(fd: number, offset: number, length: number, subject: string): void;
}

/** A Unix socket peer's process and user, from the kernel (SO_PEERCRED). */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}
