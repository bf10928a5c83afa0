// Python: Lock, Event and Barrier shared by processes (passed as arguments).
import { Barrier, Event, isMain, Lock, Pool, register, SharedArray } from 'multiproc';

export async function announce(): Promise<void> {
  console.log('all three arrived');
}

export async function party(lock: Lock, ready: Event, barrier: Barrier, slots: SharedArray<'i'>, me: number): Promise<number> {
  await ready.wait(); // every party waits for the go
  {
    await using _held = await lock.hold(); // Python: with lock:
    slots[me] = slots[me] + me + 1;
  }
  await barrier.wait(); // the last party to arrive runs the action
  return slots[me];
}

register(import.meta.url, { announce, party });

if (isMain(import.meta.url)) {
  const lock = new Lock();
  const ready = new Event();
  const barrier = new Barrier(3, { action: announce });
  const slots = new SharedArray('i', 3);
  await using pool = new Pool(3);
  const results = pool.starmap(party, [0, 1, 2].map((me) => [lock, ready, barrier, slots, me]));
  ready.set();
  console.log('results:', await results);
  if (await lock.acquire({ timeout: 500 })) {
    console.log('lock taken with a timeout');
    lock.release();
  }
}
