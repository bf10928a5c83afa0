// Compile-only: POSIX message queues and semaphores as a program that depends on multiproc sees
// them, from multiproc/ipc.
import * as multiproc from 'multiproc/ipc';
import { PosixMessageQueue, type PosixQueueAttributes, type PosixQueueMessage, type PosixSemaphore } from 'multiproc/ipc';

export async function queues(queue: PosixMessageQueue): Promise<void> {
  const message: PosixQueueMessage = await queue.receive({ timeout: 10, signal: AbortSignal.timeout(20) });
  const data: Buffer = message.data;
  const priority: number = message.priority;
  await queue.send('text', { priority });
  await queue.send(data.subarray(1));
  // @ts-expect-error: a number is not a message
  await queue.send(1);
  const attributes: PosixQueueAttributes = queue.attributes();
  void attributes.currentMessages;
  const removed: boolean = PosixMessageQueue.unlink('/jobs');
  void removed;
  const same: typeof multiproc.PosixMessageQueue = PosixMessageQueue;
  void new same('/jobs', { create: true, exclusive: true, mode: 0o600, maxMessages: 4, messageSize: 64, read: true, write: false });
}

export async function semaphores(semaphore: PosixSemaphore): Promise<void> {
  await semaphore.wait({ timeout: 10 });
  const taken: boolean = semaphore.tryWait();
  void taken;
  semaphore.post();
  const value: number = semaphore.value;
  // @ts-expect-error: the value changes by wait and post only
  semaphore.value = value;
  using _closed = new multiproc.PosixSemaphore('/slots', { create: true, value: 2 });
}
