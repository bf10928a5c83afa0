// multiproc/ipc: the Unix modes of inter-process communication, between any two processes (not
// only a parent and its child), with the operating system's own semantics and names. Each mode is
// a file of this folder over one C++ file of the addon (src/native/cc). POSIX shared memory and
// sockets are the root's SharedMemory and Listener/Client, re-exported here.

export { Client, type ClientOptions, Listener, type ListenerOptions } from '../connection/listener.js';
export { SharedMemory, type SharedMemoryOptions } from '../shared/shared-memory.js';
export { ftok } from './ftok.js';
export { IPC_PRIVATE, type SysVOpenOptions } from './sysv-object.js';
export {
  type SysVMessage,
  SysVMessageQueue,
  type SysVMessageQueueAttributes,
  type SysVMessageQueueOptions,
  type SysVMessageWaitOptions,
  type SysVReceiveOptions,
} from './sysv-message-queue.js';
export {
  SEMAPHORE_VALUE_MAX,
  type SysVSemaphoreOperation,
  type SysVSemaphoreOpOptions,
  SysVSemaphoreSet,
  type SysVSemaphoreSetOptions,
} from './sysv-semaphore.js';
export { SysVSharedMemory, type SysVSharedMemoryAttributes, type SysVSharedMemoryOptions } from './sysv-shared-memory.js';
