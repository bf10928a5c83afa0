// piscina: Piscina#run, one task per call; threads start without the parent's --import tsx.
import { Piscina } from 'piscina';
import type { Settings } from '../measure.ts';
import { type PeerPool, tasksModule, w1 as poolW1, w2 as poolW2, w3 as poolW3 } from './thread-pool.ts';

export const name = 'piscina';

// piscina's threads load the task file with require() first. On Node 20.19+ that is
// require(esm), and destroying a pool while a thread is still inside it aborts the whole process
// (FATAL ERROR: v8::Module::IsGraphAsync ... must be used on an instantiated module; W3 hit it in
// about 4 runs out of 10 of 60 pools each). Without require(esm) the require fails at once and
// piscina imports the file instead, as tinypool does.
const execArgv = process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module') ? ['--no-experimental-require-module'] : [];

function create(threads: number): PeerPool {
  const pool = new Piscina<number, number>({ filename: tasksModule, minThreads: threads, maxThreads: threads, execArgv });
  return {
    double: (x) => pool.run(x),
    burn: (limit) => pool.run(limit, { name: 'burn' }),
    destroy: () => pool.destroy(),
  };
}

export const w1 = (s: Settings) => poolW1(name, create, s);
export const w2 = (s: Settings) => poolW2(name, create, s);
export const w3 = (s: Settings) => poolW3(name, create, s);
