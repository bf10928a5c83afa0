// multiproc/ipc: the Unix modes of inter-process communication, between any two processes (not
// only a parent and its child), with the operating system's own semantics and names. Each mode is
// a file of this folder over one C++ file of the addon (src/native/cc). POSIX shared memory and
// sockets are the root's SharedMemory and Listener/Client, re-exported here.

export { Client, type ClientOptions, Listener, type ListenerOptions } from '../connection/listener.js';
export { SharedMemory, type SharedMemoryOptions } from '../shared/shared-memory.js';
export { MappedFile, type MappedFileOptions } from './mapped-file.js';
export { FileLock, type FileLockLockOptions, type FileLockOptions, type FileLockTryOptions } from './file-lock.js';
export { type LockableFile, type LockRangeOptions, type RangeLock, lockRange } from './lock-range.js';
