// workerpool: pool.exec('double', [x]), one task per call, worker threads (not child processes)
// started without the parent's --import tsx.
import { join } from 'node:path';
import workerpool from 'workerpool';
import { peerWorkers, type Settings } from '../measure.ts';
import { type PeerPool, w1 as poolW1, w2 as poolW2, w3 as poolW3 } from './thread-pool.ts';

export const name = 'workerpool';
const script = join(peerWorkers, 'workerpool.mjs');

function create(threads: number): PeerPool {
  const pool = workerpool.pool(script, { minWorkers: threads, maxWorkers: threads, workerType: 'thread', workerThreadOpts: { execArgv: [] } });
  return {
    double: (x) => pool.exec('double', [x]) as Promise<number>,
    burn: (limit) => pool.exec('burn', [limit]) as Promise<number>,
    destroy: async () => void (await pool.terminate()),
  };
}

export const w1 = (s: Settings) => poolW1(name, create, s);
export const w2 = (s: Settings) => poolW2(name, create, s);
export const w3 = (s: Settings) => poolW3(name, create, s);
