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
   * opens): `callback([fd, nonBlockingFd])`, a blocking and a non-blocking descriptor of the same
   * end (close-on-exec); `callback(-1)` when the path is not a FIFO (nothing was opened); or
   * `callback(error)`. Returns the call's id.
   */
  openFifoAsync(path: string, writable: boolean, callback: (outcome: [number, number] | -1 | Error) => void): BlockingCallId;
  /**
   * Opens the pipe or FIFO at `path` (a /proc/<pid>/fd link) without waiting for the other side
   * (a write end with no reader throws ENXIO), then makes it blocking if asked; -1 when the path
   * is not a pipe (nothing was opened). Close-on-exec.
   */
  openPipeEnd(path: string, writable: boolean, blocking: boolean): number;
  /**
   * Watches a descriptor on this thread's event loop (uv_poll) for `events` (1 readable |
   * 2 writable; 0: nothing yet) and calls back with those that hold, level-triggered, until
   * fdWatchStop: the caller acts on each call (reads or writes until EAGAIN) or asks for less.
   * `callback(error)` once, ending the watch, if polling fails. A watch asking for something keeps
   * the loop alive. One watch per descriptor per thread. Returns the watch's id.
   */
  fdWatchStart(fd: number, events: FdEvents, callback: (ready: FdEvents | Error) => void): FdWatchId;
  /** What a watch waits for from now on (0: nothing, and the loop may end). */
  fdWatchSet(id: FdWatchId, events: FdEvents): void;
  /** Ends a watch (idempotent); call it before closing the descriptor. */
  fdWatchStop(id: FdWatchId): void;
  /**
   * Opens a POSIX message queue ("/name"), non-blocking and close-on-exec; returns its descriptor.
   * `access`: 0 read, 1 write, 2 both. `maxMessages`/`messageSize` apply to a queue created here
   * (both 0: the system's defaults, /proc/sys/fs/mqueue/msg_default and msgsize_default).
   */
  mqOpen(
    name: string,
    create: boolean,
    exclusive: boolean,
    access: 0 | 1 | 2,
    mode: number,
    maxMessages: number,
    messageSize: number,
  ): number;
  /** Closes a queue descriptor; the queue stays until unlinked. */
  mqClose(fd: number): void;
  /** Removes a queue's name (ENOENT when there is none); open descriptors keep working. */
  mqUnlink(name: string): void;
  /** A queue's attributes (mq_getattr). */
  mqGetAttributes(fd: number): PosixQueueAttributes;
  /** Queues a message; false when the queue is full (EAGAIN: wait until writable, then retry). */
  mqSend(fd: number, bytes: ArrayBufferView, priority: number): boolean;
  /**
   * Takes the oldest message of the highest priority, or returns null when the queue is empty
   * (wait until readable, then retry). `messageSize` is the queue's own, from mqGetAttributes.
   */
  mqReceive(fd: number, messageSize: number): { data: Buffer; priority: number } | null;
  /** How many message priorities there are (sysconf(_SC_MQ_PRIO_MAX); 32768 on Linux). */
  mqPriorityMax(): number;
  /** Opens (or creates, with mode and initial value) a POSIX named semaphore ("/name"); returns its id. */
  semOpen(name: string, create: boolean, exclusive: boolean, mode: number, value: number): SemaphoreId;
  /** Stops using a semaphore in this process (idempotent); a pending semWait keeps it open until it ends. */
  semClose(id: SemaphoreId): void;
  /** Removes a semaphore's name (ENOENT when there is none); processes that opened it keep it. */
  semUnlink(name: string): void;
  /** Decrements the value if it is above 0: true; false when it is 0. */
  semTryWait(id: SemaphoreId): boolean;
  /**
   * Decrements the value, waiting on a waiting thread while it is 0: `callback(undefined)` once
   * done, or an Error (`code: 'EINTR'` when interrupted on request, having taken nothing). Returns
   * the call's id, for interruptBlockingCall.
   */
  semWait(id: SemaphoreId, callback: (outcome: undefined | Error) => void): BlockingCallId;
  /** Increments the value (EOVERFLOW at SEM_VALUE_MAX). */
  semPost(id: SemaphoreId): void;
  /** The current value (sem_getvalue). */
  semGetValue(id: SemaphoreId): number;
  /** The largest value a semaphore can hold (SEM_VALUE_MAX). */
  semValueMax(): number;
}

/** A descriptor watch of fdWatchStart. */
export type FdWatchId = number;

/** Readiness of a descriptor: 1 readable | 2 writable (0: none). */
export type FdEvents = 0 | 1 | 2 | 3;

/** An open POSIX named semaphore of semOpen. */
export type SemaphoreId = number;

/** A POSIX message queue's attributes (mq_getattr). */
export interface PosixQueueAttributes {
  /** How many messages the queue holds at most (mq_maxmsg). */
  maxMessages: number;
  /** The largest message in bytes (mq_msgsize). */
  messageSize: number;
  /** How many messages it holds now (mq_curmsgs). */
  currentMessages: number;
}

/** A Unix socket peer's process and user, from the kernel (SO_PEERCRED). */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}
