// Python: with Manager() as manager: d = manager.dict(); l = manager.list(); processes update them.
import { isMain, Manager, Process, register } from 'multiproc';
import type { Lock } from 'multiproc';

type Proxy<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : () => Promise<T[K]> };

interface Counts {
  get(key: string, fallback?: unknown): unknown;
  set(key: string, value: unknown): void;
}
interface Log {
  append(value: unknown): void;
}

export async function work(counts: Proxy<Counts>, log: Proxy<Log>, lock: Proxy<Lock>, name: string): Promise<void> {
  await lock.acquire();
  await counts.set('n', ((await counts.get('n', 0)) as number) + 1);
  await lock.release();
  await log.append(name);
}

register(import.meta.url, { work });

if (isMain(import.meta.url)) {
  await using manager = await Manager(); // shut down at the end of the block
  const counts = await manager.dict();
  const log = await manager.list();
  const lock = await manager.Lock();
  const children = ['a', 'b', 'c'].map((name) => new Process({ target: work, args: [counts, log, lock, name] }));
  for (const child of children) child.start();
  for (const child of children) await child.join();
  console.log('n =', await counts.get('n'));
  console.log('log:', ((await log.toArray()) as string[]).sort());
}
