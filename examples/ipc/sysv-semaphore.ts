// Python (sysv_ipc): two processes take turns with semaphores: one waits (acquire) on its own
// semaphore and releases the other's. Here one set of two System V semaphores, shared by key:
// semaphore 0 is the parent's turn, semaphore 1 the child's.
import { fileURLToPath } from 'node:url';
import { isMain, Process, register } from 'multiproc';
import { ftok, SysVSemaphoreSet } from 'multiproc/ipc';

const PARENT = 0;
const CHILD = 1;

export async function pong(key: number): Promise<void> {
  const turns = new SysVSemaphoreSet(key, 2);
  for (let round = 1; round <= 3; round++) {
    await turns.op([{ index: CHILD, delta: -1 }]); // wait for my turn
    console.log(`pong ${round}`);
    await turns.op([{ index: PARENT, delta: 1 }]); // give the turn back
  }
}

register(import.meta.url, { pong });

if (isMain(import.meta.url)) {
  const key = ftok(fileURLToPath(import.meta.url), 1);
  const turns = new SysVSemaphoreSet(key, 2, { create: true }); // both start at 0
  try {
    const child = new Process({ target: pong, args: [key] });
    child.start();
    for (let round = 1; round <= 3; round++) {
      console.log(`ping ${round}`);
      await turns.op([{ index: CHILD, delta: 1 }]);
      await turns.op([{ index: PARENT, delta: -1 }]);
    }
    await child.join();
  } finally {
    turns.remove();
  }
}
