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
   * kill(pid, signo), pid > 0; a failure throws `kill(<subject>) failed: ESRCH (no such process)`
   * (`subject`: how the error names the call's arguments, "1234, SIGUSR1").
   */
  sendSignal(pid: number, signo: number, subject: string): void;
  /** This C library's real-time signal range, and the signal that interrupts waiting threads. */
  signalNumbers(): SignalNumbers;
  /**
   * Creates the signal self-pipe and watches it on this thread's loop (unref'd), once per
   * process: `callback(records)` gets each batch of caught deliveries, 4 ints each (signo, si_pid,
   * si_code, si_uid). Another thread's call throws: signals are the main thread's.
   */
  signalWatch(callback: (records: Int32Array) => void): void;
  /** The deliveries waiting in the self-pipe now (4 ints each, as signalWatch's), read at once. */
  signalDrain(): Int32Array;
  /**
   * Catches `signo` with the addon's handler (sigaction, SA_SIGINFO), keeping the disposition it
   * replaces for signalRelease; a handler that replaced ours since is kept as that disposition.
   * With `chain`, the kept handler runs after ours at each delivery (unless it is a one-shot,
   * SA_RESETHAND, handler: those are never chained).
   */
  signalCatch(signo: number, chain: boolean): void;
  /** Puts back the disposition signalCatch replaced (unless someone replaced ours since). Idempotent. */
  signalRelease(signo: number): void;
  /**
   * Watches a descriptor on this thread's event loop (uv_poll) for what `control[0]` asks
   * (1 readable | 2 writable; 0: nothing yet) and calls back with those that hold,
   * level-triggered, until fdWatchStop: the caller acts on each call (reads or writes until
   * EAGAIN) or asks for less. `control` (an Int32Array of 3, kept by the caller, who writes only
   * control[0]) also says what is watched now (control[1]) and whether the callback runs
   * (control[2] is 1 until it and the promise jobs it queued have returned). `callback(error)`
   * once, ending the watch, if polling fails. A watch asking for something keeps the loop alive.
   * One watch per descriptor per thread. Returns the watch's id.
   */
  fdWatchStart(fd: number, control: Int32Array, callback: (ready: FdEvents | Error) => void): FdWatchId;
  /**
   * Watches what control[0] asks from now on (0: nothing, and the loop may end). Asking for less
   * inside the watch's own callback needs no call: it applies when the callback returns.
   */
  fdWatchSet(id: FdWatchId): void;
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
   * Takes the oldest message of the highest priority into `into` and returns
   * `length * 65536 + priority` (Linux's priorities are below 32768), or -1 when the queue is
   * empty (wait until readable, then retry). `into` must hold the queue's messageSize
   * (mqGetAttributes) or the kernel refuses (EMSGSIZE).
   */
  mqReceive(fd: number, into: Uint8Array): number;
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
  /** libc's ftok(path, projectId) (projectId 1..255): the key, as a signed key_t; throws naming the path. */
  ftok(path: string, projectId: number): number;
  /** msgget(key, IPC_CREAT? | IPC_EXCL? | mode): the queue's id. */
  msgGet(key: number, create: boolean, exclusive: boolean, mode: number): number;
  /** msgsnd with IPC_NOWAIT: true when sent, false when the queue is full. `type` 1..2**53-1. */
  msgSendNow(id: number, type: number, data: ArrayBufferView): boolean;
  /** msgsnd waiting for room on a waiting thread; interrupting it sends nothing. */
  msgSendAsync(id: number, type: number, data: ArrayBufferView, callback: (outcome: undefined | Error) => void): BlockingCallId;
  /**
   * msgrcv with IPC_NOWAIT (type as msgrcv's msgtyp) into `buffer` (>= 8 bytes): the text at byte 8,
   * the type as a float64 in this machine's byte order at byte 0. The text's length; -1 when none
   * matched; -2 when the message is longer than `buffer.byteLength - 8` (it stays queued).
   */
  msgReceiveNow(id: number, type: number, buffer: Uint8Array): number;
  /** msgrcv waiting on a waiting thread; interrupting it takes no message. */
  msgReceiveAsync(id: number, type: number, callback: (outcome: SysVMessageRecord | Error) => void): BlockingCallId;
  /** msgctl(IPC_STAT). */
  msgStat(id: number): SysVMessageQueueStatus;
  /** msgctl(IPC_RMID). */
  msgRemove(id: number): void;
  /** semget(key, count, IPC_CREAT? | IPC_EXCL? | mode): the set's id (count 0 opens any existing set). */
  semGet(key: number, count: number, create: boolean, exclusive: boolean, mode: number): number;
  /** The number of semaphores in a set (IPC_STAT's sem_nsems). */
  semCount(id: number): number;
  /** semop with IPC_NOWAIT over (index, delta) pairs: true when applied, false when it would wait (nothing applied). */
  semOpNow(id: number, pairs: Int32Array, undo: boolean): boolean;
  /** semop waiting on a waiting thread; interrupting it applies nothing. */
  semOpAsync(id: number, pairs: Int32Array, undo: boolean, callback: (outcome: undefined | Error) => void): BlockingCallId;
  /** semctl(GETVAL) of one semaphore of a System V set. */
  semValueAt(id: number, index: number): number;
  /** semctl(SETVAL), value 0..32767. */
  semSetValue(id: number, index: number, value: number): void;
  /** semctl(IPC_RMID). */
  semRemove(id: number): void;
  /** shmget(key, size, IPC_CREAT? | IPC_EXCL? | mode): the segment's id (size 0 opens any existing segment). */
  shmGet(key: number, size: number, create: boolean, exclusive: boolean, mode: number): number;
  /** shmctl(IPC_STAT). */
  shmStat(id: number): SysVSharedMemoryStatus;
  /** shmat of the whole segment, as a SharedArrayBuffer (detached when collected, or by shmDetach). */
  shmAttach(id: number): SharedArrayBuffer;
  /** Detaches a buffer from shmAttach now; its views then read private zeros. Idempotent. */
  shmDetach(buffer: SharedArrayBuffer): void;
  /** shmctl(IPC_RMID): the segment goes once no process has it attached. */
  shmRemove(id: number): void;
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
  /** One write(2) of `bytes` to a non-blocking descriptor: the bytes the kernel took, or -errno (-EAGAIN: no room). */
  fdWrite(fd: number, bytes: ArrayBufferView): number;
  /** One writev(2) of the parts (at most IOV_MAX of them are tried): the bytes taken, or -errno. */
  fdWritev(fd: number, parts: readonly ArrayBufferView[]): number;
}

/** Signal numbers that depend on the C library. */
export interface SignalNumbers {
  /** SIGRTMIN as the C library gives it (34 with glibc, which keeps 32 and 33 for itself). */
  realtimeMin: number;
  realtimeMax: number;
  /** The real-time signal that interrupts the addon's waiting threads (SIGRTMAX - 2). */
  interrupt: number;
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

/** A System V message as msgrcv returned it. */
export interface SysVMessageRecord {
  type: number;
  data: Buffer;
}

/** msgctl(IPC_STAT) of a System V message queue. */
export interface SysVMessageQueueStatus {
  key: number;
  messages: number;
  bytes: number;
  maxBytes: number;
  lastSendPid: number;
  lastReceivePid: number;
  mode: number;
  uid: number;
  gid: number;
}

/** shmctl(IPC_STAT) of a System V shared-memory segment; `removed` is 1 once IPC_RMID marked it. */
export interface SysVSharedMemoryStatus {
  key: number;
  size: number;
  attachments: number;
  creatorPid: number;
  lastPid: number;
  mode: number;
  uid: number;
  removed: number;
}
