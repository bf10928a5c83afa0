// W1, W2 and W3 for the thread-pool peers (piscina, tinypool, workerpool), each used through its
// one-task-per-call API. Each peer file adapts its pool to PeerPool; the measuring is shared here
// so all three are timed the same way.
import { join } from 'node:path';
import { type Figure, peerWorkers, type Settings, speedupFigure, speedupRounds, startFigure, throughputFigure } from '../measure.ts';

/** The peers' worker module: default export double, named exports double, burn, noop. */
export const tasksModule = join(peerWorkers, 'tasks.mjs');

/** A started pool of a peer: one call, one task. */
export interface PeerPool {
  double(x: number): Promise<number>;
  burn(limit: number): Promise<number>;
  destroy(): Promise<void>;
}

/** Starts a peer's pool of exactly `threads` threads. */
export type PeerFactory = (threads: number) => PeerPool;

async function withPool<T>(create: PeerFactory, threads: number, use: (pool: PeerPool) => Promise<T>): Promise<T> {
  const pool = create(threads);
  try {
    return await use(pool);
  } finally {
    await pool.destroy();
  }
}

/** W1: every item submitted at once as its own task (Promise.all), 2 threads, started and warmed. */
export function w1(who: string, create: PeerFactory, s: Settings): Promise<Figure[]> {
  return withPool(create, 2, async (pool) => {
    await Promise.all(s.w1Items.slice(0, 5000).map((x) => pool.double(x)));
    const figure = await throughputFigure(who, 'one task per item', s.w1Items.length, s.w1Reps, () => Promise.all(s.w1Items.map((x) => pool.double(x))));
    return [figure];
  });
}

/** W2: the CPU tasks on one thread per core, all submitted at once; against the serial time. */
export function w2(who: string, create: PeerFactory, s: Settings): Promise<Figure[]> {
  return withPool(create, s.cores, async (pool) => {
    await Promise.all(Array.from({ length: 2 * s.cores }, () => pool.burn(20_000))); // every thread up, burn compiled
    const rounds = await speedupRounds(s, () => Promise.all(Array.from({ length: s.w2Tasks }, () => pool.burn(s.w2Limit))));
    return [speedupFigure(who, rounds)];
  });
}

/** W3: create a pool of 2, run one task, destroy the pool. */
export async function w3(who: string, create: PeerFactory, s: Settings): Promise<Figure[]> {
  return [await startFigure(who, s.startRuns, () => withPool(create, 2, (pool) => pool.double(1)))];
}
