// Python (posix_ipc): ready = Semaphore('/ready', O_CREAT, initial_value=0); ready.acquire(timeout)
// A POSIX named semaphore shared by name: three worker processes each post it once when set up,
// and the main process waits for all three. Any program that knows the name (a plain node,
// Python's posix_ipc or ctypes, a C program) could post or wait. The kernel keeps the semaphore
// until it is unlinked, so the creator unlinks it at the end.
import { isMain, Process, register } from 'multiproc';
import { PosixSemaphore } from 'multiproc/ipc';

export function getReady(name: string): void {
  using ready = new PosixSemaphore(name); // opens the existing semaphore by name
  ready.post();
}

register(import.meta.url, { getReady });

if (isMain(import.meta.url)) {
  using ready = new PosixSemaphore(`/ready-${process.pid}`, { create: true, exclusive: true, value: 0 });
  try {
    const workers = [1, 2, 3].map(() => new Process({ target: getReady, args: [ready.name] }));
    for (const worker of workers) worker.start();
    for (const _ of workers) await ready.wait({ timeout: 10_000 }); // on a native thread: the event loop runs on
    console.log(`${workers.length} workers are ready`);
    console.log(`value now ${ready.value}; tryWait() -> ${ready.tryWait()}`);
    for (const worker of workers) await worker.join();
  } finally {
    ready.unlink();
  }
}
