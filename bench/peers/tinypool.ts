// tinypool: Tinypool#run, one task per call; threads start without the parent's --import tsx.
import { Tinypool } from 'tinypool';
import type { Settings } from '../measure.ts';
import { type PeerPool, tasksModule, w1 as poolW1, w2 as poolW2, w3 as poolW3 } from './thread-pool.ts';

export const name = 'tinypool';

function create(threads: number): PeerPool {
  const pool = new Tinypool({ filename: tasksModule, minThreads: threads, maxThreads: threads, execArgv: [] });
  return {
    double: (x) => pool.run(x) as Promise<number>,
    burn: (limit) => pool.run(limit, { name: 'burn' }) as Promise<number>,
    destroy: () => pool.destroy(),
  };
}

export const w1 = (s: Settings) => poolW1(name, create, s);
export const w2 = (s: Settings) => poolW2(name, create, s);
export const w3 = (s: Settings) => poolW3(name, create, s);
