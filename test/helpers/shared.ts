// A scratch SharedMemory for a test, always unlinked afterwards.
import { SharedMemory } from 'multiproc';

export async function withMemory(body: (memory: SharedMemory) => Promise<void>, size = 64): Promise<void> {
  const memory = new SharedMemory({ create: true, size });
  try {
    await body(memory);
  } finally {
    memory.unlink();
  }
}
