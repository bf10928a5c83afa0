// Compile-only checks of the manager proxy types (run by `tsc --noEmit`; never executed).
import type { ArrayProxy, Condition, DictProxy, ListProxy, Lock, NamespaceProxy, Proxy as ManagerProxy, SyncManager, ValueProxy } from 'multiproc';
import { BaseManager, SharedMemoryManager, type ShareableList, type SharedMemory } from 'multiproc';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T>(_value: T): void {}
function assertEqual<_ extends true>(): void {}

/** A task function annotated with the proxy types, as a user writes one. */
async function tally(counts: DictProxy<string, number>, log: ListProxy<string>, lock: ManagerProxy<Lock>): Promise<number> {
  await lock.acquire();
  try {
    const next = (await counts.get('n', 0)) + 1;
    await counts.set('n', next);
    await log.append(`n=${next}`);
    return next;
  } finally {
    await lock.release();
  }
}

async function writesAString(d: DictProxy<string, number>): Promise<void> {
  // @ts-expect-error: a DictProxy<string, number> holds numbers
  await d.set('a', 'x');
  // @ts-expect-error: and its keys are strings
  await d.get(1);
}

export async function checks(manager: SyncManager): Promise<void> {
  const counts = await manager.dict<string, number>();
  assertEqual<Equals<typeof counts, DictProxy<string, number>>>();
  await tally(counts, await manager.list<string>(), await manager.Lock());
  await writesAString(counts);
  // @ts-expect-error: a dict of other types is not a DictProxy<string, number>
  await tally(await manager.dict<string, string>(), await manager.list<string>(), await manager.Lock());

  expectType<Promise<number | undefined>>(counts.get('a'));
  expectType<Promise<number | 'none'>>(counts.get('a', 'none'));
  expectType<Promise<[string, number]>>(counts.popitem());
  expectType<Promise<Map<string, number>>>(counts.copy());

  const untyped = await manager.dict();
  assertEqual<Equals<typeof untyped, DictProxy>>();
  await untyped.set(1n, { any: 'value' });

  const list = await manager.list<number>([3, 1, 2]);
  expectType<Promise<number[]>>(list.copy());
  expectType<Promise<void>>(list.sort({ reverse: true }));
  // @ts-expect-error: a key function cannot travel to the manager
  await list.sort({ key: (x: number) => -x });
  for await (const item of list) expectType<number>(item);

  const array = await manager.Array('d', 3);
  assertEqual<Equals<typeof array, ArrayProxy<number>>>();
  const wide = await manager.Array('q', [1n]);
  assertEqual<Equals<typeof wide, ArrayProxy<bigint>>>();
  // @ts-expect-error: an Array has a fixed length
  await array.append(1);

  const value = await manager.Value('i', 0);
  assertEqual<Equals<typeof value, ValueProxy<number>>>();
  // @ts-expect-error: a 'i' Value holds numbers
  await manager.Value('i', 'zero');

  const namespace = await manager.Namespace<{ x: number; label: string }>({ x: 1 });
  expectType<NamespaceProxy<{ x: number; label: string }>>(namespace);
  expectType<Promise<number>>(namespace.get('x'));
  // @ts-expect-error: label is a string
  await namespace.set('label', 2);

  const condition = await manager.Condition(await manager.RLock());
  expectType<ManagerProxy<Condition>>(condition);
  expectType<Promise<boolean>>(condition.wait(100));
  const barrier = await manager.Barrier(2, { timeout: 1000 });
  expectType<Promise<number>>(barrier.parties());

  const base = new BaseManager();
  await base.start({ initializer: (label: string) => label.length, initArgs: ['x'] });
  // @ts-expect-error: initArgs must match the initializer's parameters
  await base.start({ initializer: (label: string) => label.length, initArgs: [1] });
  const counter = await base.create<{ increment(by: number): number; value: number }>('Counter');
  expectType<Promise<number>>(counter.increment(1));
  expectType<Promise<number>>(counter.value());

  const smm = new SharedMemoryManager();
  expectType<Promise<SharedMemory>>(smm.SharedMemory(10));
  expectType<Promise<ShareableList>>(smm.ShareableList([1, 'a', null]));
}
