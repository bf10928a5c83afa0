// Python: counter = Value('i', 0); four processes add under counter.get_lock(); an Event says "go".
import { Event, isMain, Pool, register, Value } from 'multiproc';

export async function addMany(counter: Value<'i'>, start: Event, times: number): Promise<void> {
  await start.wait();
  for (let turn = 0; turn < times; turn++) {
    await using _held = await counter.getLock().hold();
    counter.value += 1;
  }
}

register(import.meta.url, { addMany });

if (isMain(import.meta.url)) {
  const counter = new Value('i', 0);
  const start = new Event();
  await using pool = new Pool(4);
  const done = pool.starmap(addMany, [[counter, start, 1000], [counter, start, 1000], [counter, start, 1000], [counter, start, 1000]]);
  start.set();
  await done;
  console.log(`counter = ${counter.value}`); // counter = 4000
}
