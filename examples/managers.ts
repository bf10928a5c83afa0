// Python: with Manager() as manager: d = manager.dict(); l = manager.list(); processes update them.
import { type DictProxy, isMain, type ListProxy, type Lock, Manager, type Proxy as ManagerProxy, Process, register } from 'multiproc';

export async function work(counts: DictProxy<string, number>, log: ListProxy<string>, lock: ManagerProxy<Lock>, name: string): Promise<void> {
  await lock.acquire();
  await counts.set('n', (await counts.get('n', 0)) + 1);
  await lock.release();
  await log.append(name);
}

register(import.meta.url, { work });

if (isMain(import.meta.url)) {
  await using manager = await Manager(); // shut down at the end of the block
  const counts = await manager.dict<string, number>();
  const log = await manager.list<string>();
  const lock = await manager.Lock();
  const children = ['a', 'b', 'c'].map((name) => new Process({ target: work, args: [counts, log, lock, name] }));
  for (const child of children) child.start();
  for (const child of children) await child.join();
  console.log('n =', await counts.get('n'));
  console.log('log:', (await log.toArray()).sort());
  {
    using scratch = await manager.dict(); // freed in the manager when the block ends
    await scratch.set('k', 1);
  }
  console.log('objects held:', await manager._objectCount());
}
