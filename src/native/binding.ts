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
  /** libc's ftok(path, projectId) (projectId 1..255): the key, as a signed key_t; throws naming the path. */
  ftok(path: string, projectId: number): number;
  /** msgget(key, IPC_CREAT? | IPC_EXCL? | mode): the queue's id. */
  msgGet(key: number, create: boolean, exclusive: boolean, mode: number): number;
  /**
   * msgsnd with IPC_NOWAIT, retried for up to spinMicroseconds (0..1000; default 0): true when
   * sent, false when the queue stayed full. `type` 1..2**53-1.
   */
  msgSendNow(id: number, type: number, data: ArrayBufferView, spinMicroseconds?: number): boolean;
  /** msgsnd waiting for room on a waiting thread; interrupting it sends nothing. */
  msgSendAsync(id: number, type: number, data: ArrayBufferView, callback: (outcome: undefined | Error) => void): BlockingCallId;
  /**
   * msgrcv with IPC_NOWAIT (type as msgrcv's msgtyp), retried for up to spinMicroseconds
   * (0..1000; default 0): the message, or null when none matched.
   */
  msgReceiveNow(id: number, type: number, spinMicroseconds?: number): SysVMessageRecord | null;
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
  /**
   * semop with IPC_NOWAIT over (index, delta) pairs, retried for up to spinMicroseconds (0..1000;
   * default 0): true when applied, false when it would still wait (nothing applied).
   */
  semOpNow(id: number, pairs: Int32Array, undo: boolean, spinMicroseconds?: number): boolean;
  /** semop waiting on a waiting thread; interrupting it applies nothing. */
  semOpAsync(id: number, pairs: Int32Array, undo: boolean, callback: (outcome: undefined | Error) => void): BlockingCallId;
  /** semctl(GETVAL). */
  semGetValue(id: number, index: number): number;
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
