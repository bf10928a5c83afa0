// Python (sysv_ipc): memory = SharedMemory(key, IPC_CREAT, size=64); another process attaches the
// same key and memory.write(b'...'). Here the child writes a greeting and counts with Atomics;
// the parent reads both from the same memory, no copy.
import { fileURLToPath } from 'node:url';
import { isMain, Process, register } from 'multiproc';
import { ftok, SysVSharedMemory } from 'multiproc/ipc';

export function writer(key: number): void {
  const memory = new SysVSharedMemory(key, 0); // attach the existing segment, whatever its size
  memory.buf.write('hello from the child', 8);
  const counter = new Int32Array(memory.buf.buffer, 0, 1);
  for (let i = 0; i < 1000; i++) Atomics.add(counter, 0, 1);
  memory.detach();
}

register(import.meta.url, { writer });

if (isMain(import.meta.url)) {
  const key = ftok(fileURLToPath(import.meta.url), 1);
  const memory = new SysVSharedMemory(key, 64, { create: true });
  try {
    const child = new Process({ target: writer, args: [key] });
    child.start();
    await child.join();
    console.log(memory.buf.toString('utf8', 8, 28));
    console.log(`counter = ${Atomics.load(new Int32Array(memory.buf.buffer, 0, 1), 0)}`);
  } finally {
    memory.detach();
    memory.remove(); // the kernel frees it once no process has it attached
  }
}
