// Python (posix_ipc): jobs = MessageQueue('/jobs', O_CREAT); jobs.send('wash', priority=1);
// message, priority = jobs.receive()
// Two processes share POSIX message queues by name: the worker takes jobs highest priority
// first and answers on a second queue. Any program that knows the names (a plain node, Python's
// posix_ipc or ctypes, a C program) could take either side. The kernel keeps a queue until it is
// unlinked, so the creator unlinks both at the end.
import { isMain, Process, register } from 'multiproc';
import { PosixMessageQueue } from 'multiproc/ipc';

export async function worker(jobsName: string, doneName: string): Promise<void> {
  using jobs = new PosixMessageQueue(jobsName); // opens the existing queue by name
  using done = new PosixMessageQueue(doneName);
  for (;;) {
    const { data, priority } = await jobs.receive(); // waits without blocking the event loop
    if (data.toString() === 'stop') break;
    await done.send(`${data.toString().toUpperCase()} (priority ${priority})`);
  }
}

register(import.meta.url, { worker });

if (isMain(import.meta.url)) {
  using jobs = new PosixMessageQueue(`/jobs-${process.pid}`, { create: true, exclusive: true });
  using done = new PosixMessageQueue(`/done-${process.pid}`, { create: true, exclusive: true });
  try {
    // Queued before the worker starts, so it finds all four and takes the urgent one first.
    await jobs.send('wash', { priority: 1 });
    await jobs.send('dry', { priority: 1 });
    await jobs.send('urgent', { priority: 9 });
    await jobs.send('stop', { priority: 0 });
    const child = new Process({ target: worker, args: [jobs.name, done.name] });
    child.start();
    for (let count = 0; count < 3; count++) console.log((await done.receive({ timeout: 10_000 })).data.toString());
    await child.join();
  } finally {
    jobs.unlink();
    done.unlink();
  }
}
