// multiproc/ipc: the Unix modes of inter-process communication, between any two processes (not
// only a parent and its child), with the operating system's own semantics and names. Each mode is
// a file of this folder over one C++ file of the addon (src/native/cc). POSIX shared memory and
// sockets are the root's SharedMemory and Listener/Client, re-exported here.

export { Client, type ClientOptions, Listener, type ListenerOptions } from '../connection/listener.js';
export { SharedMemory, type SharedMemoryOptions } from '../shared/shared-memory.js';
export { pipe } from './pipe.js';
export type { PipeReadable, PipeWritable } from './pipe-end.js';
export { mkfifo, type MkfifoOptions, openFifo, type OpenFifoOptions } from './fifo.js';
export { connectionFromFd, socketPair, type SocketPairEnd, type SocketPairOptions } from './socket-pair.js';
export {
  PosixMessageQueue,
  type PosixMessageQueueOptions,
  type PosixQueueAttributes,
  type PosixQueueMessage,
  type PosixQueueReceiveOptions,
  type PosixQueueSendOptions,
} from './posix-message-queue.js';
export { PosixSemaphore, type PosixSemaphoreOptions, type PosixSemaphoreWaitOptions } from './posix-semaphore.js';
