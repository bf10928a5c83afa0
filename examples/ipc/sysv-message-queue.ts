// Python (sysv_ipc): queue = MessageQueue(ftok(path, 1), IPC_CREAT); queue.send(b'3', type=1);
// reply, _ = queue.receive(type=2). Two processes meet at a System V message queue by its key:
// the worker takes jobs of type 1 and answers on type 2.
import { fileURLToPath } from 'node:url';
import { isMain, Process, register } from 'multiproc';
import { ftok, SysVMessageQueue } from 'multiproc/ipc';

export async function worker(key: number): Promise<void> {
  const queue = new SysVMessageQueue(key); // the existing queue: any process that knows the key
  for (;;) {
    const { data } = await queue.receive({ type: 1 });
    if (data.length === 0) return; // an empty job: stop
    const n = Number(data.toString());
    await queue.send(2, `${n} squared is ${n * n}`);
  }
}

register(import.meta.url, { worker });

if (isMain(import.meta.url)) {
  const key = ftok(fileURLToPath(import.meta.url), 1); // the same key C or Python would compute
  const queue = new SysVMessageQueue(key, { create: true });
  try {
    const child = new Process({ target: worker, args: [key] });
    child.start();
    for (const n of [3, 4, 5]) {
      await queue.send(1, String(n));
      console.log(String((await queue.receive({ type: 2 })).data));
    }
    await queue.send(1, '');
    await child.join();
  } finally {
    queue.remove(); // the kernel keeps a queue until it is removed
  }
}
