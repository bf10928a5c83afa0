// Task functions of the multiproc participant, registered so that multiproc's children (which
// import this module by its URL) find them by name. The peers run the same code from
// bench/peers/workers/tasks.mjs; the harness also calls burn() here for W2's calibration and
// serial baseline.
import { loadMultiproc, type MultiprocConnection, type MultiprocDictProxy, type MultiprocEvent, type MultiprocQueue, type MultiprocValue } from './library.ts';

export function double(x: number): number {
  return x * 2;
}

/** CPU-bound: counts the primes below `limit` by trial division (deterministic). */
export function burn(limit: number): number {
  let count = 0;
  for (let n = 2; n < limit; n++) {
    let isPrime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        isPrime = false;
        break;
      }
    }
    if (isPrime) count++;
  }
  return count;
}

export function noop(): void {}

/** W8: `times` increments of a shared Value, each under its lock. */
export async function incrementMany([counter, times]: [MultiprocValue, number]): Promise<void> {
  const lock = counter.getLock();
  for (let turn = 0; turn < times; turn++) {
    await lock.acquire();
    counter.value += 1;
    lock.release();
  }
}

/** W9: answers each `ping` with a `pong`, `times` times. */
export async function pong(ping: MultiprocEvent, answer: MultiprocEvent, times: number): Promise<void> {
  for (let turn = 0; turn < times; turn++) {
    await ping.wait();
    ping.clear();
    answer.set();
  }
}

/**
 * W4: puts `warmUp` messages, waits for `go`, puts `count` more, then closes its copy of the
 * queue. A message is the index (`bytes` 0) or one Buffer of `bytes` bytes, put again and again.
 */
export async function produce(queue: MultiprocQueue<number | Uint8Array>, go: MultiprocEvent, warmUp: number, count: number, bytes: number): Promise<void> {
  const message = bytes ? Buffer.alloc(bytes, 7) : null;
  for (let index = 0; index < warmUp; index++) await queue.put(message ?? index);
  await go.wait();
  for (let index = 0; index < count; index++) await queue.put(message ?? index);
  queue.close();
}

/** W5 and W6: receives a message and sends it back, `times` times, then closes its end. */
export async function echo(end: MultiprocConnection, times: number): Promise<void> {
  for (let turn = 0; turn < times; turn++) end.send(await end.recv());
  end.close();
}

try {
  (await loadMultiproc()).register(import.meta.url, { double, burn, noop, incrementMany, pong, produce, echo, dictSetGet });
} catch {
  // The library did not load: bench/multiproc.ts reports it unavailable, the peers still run.
}

/** W11: says it is ready, waits for `go`, then `pairs` times sets and gets its own key of a manager dict. */
export async function dictSetGet(dict: MultiprocDictProxy, key: string, pairs: number, ready: MultiprocEvent, go: MultiprocEvent): Promise<void> {
  ready.set();
  await go.wait();
  for (let index = 0; index < pairs; index++) {
    await dict.set(key, index);
    await dict.get(key);
  }
}
