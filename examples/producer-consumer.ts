// Python's producer/consumer over a Queue, with None (here null) as the sentinel that ends it.
import { isMain, Process, Queue, register } from 'multiproc';

export async function producer(queue: Queue<number | null>): Promise<void> {
  for (let item = 0; item < 5; item++) await queue.put(item * item);
  await queue.put(null); // no more items
}

export async function consumer(queue: Queue<number | null>): Promise<void> {
  for (;;) {
    const item = await queue.get();
    if (item === null) break;
    console.log(`consumed ${item}`);
  }
}

register(import.meta.url, { producer, consumer });

if (isMain(import.meta.url)) {
  const queue = new Queue<number | null>();
  const producing = new Process({ target: producer, args: [queue] });
  const consuming = new Process({ target: consumer, args: [queue] });
  producing.start();
  consuming.start();
  await producing.join();
  await consuming.join();
  console.log('done');
}
