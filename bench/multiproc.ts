// The multiproc participant, once per context: 'process' (OS processes) and 'thread' (worker
// threads). run.ts imports this module inside a try: if the library does not load, the
// top-level await below rejects and the harness reports multiproc unavailable.
import { type ContextName, librarySource, loadMultiproc, type MultiprocPool } from './library.ts';
import { type Figure, type Settings, speedupFigure, speedupRounds, startFigure, throughputFigure, timeMs } from './measure.ts';
import { burn, double, incrementMany, noop, pong } from './tasks.ts';

const { Pool, getContext, Value, Event } = await loadMultiproc();

export const contexts: readonly ContextName[] = ['process', 'thread'];
export const source = librarySource;

const who = (context: ContextName) => `multiproc ${context}`;

/** Runs `use` on a new pool, then closes and joins it (terminates it if `use` failed). */
async function withPool<T>(processes: number, context: ContextName, use: (pool: MultiprocPool) => Promise<T>): Promise<T> {
  const pool = new Pool({ processes, context });
  let result: T;
  try {
    result = await use(pool);
  } catch (error) {
    await pool.terminate();
    throw error;
  }
  pool.close();
  await pool.join();
  return result;
}

/** W1: Pool(2).map of x => x * 2 over the items, automatic chunks and chunkSize 1; pool started and warmed. */
export function w1(context: ContextName, s: Settings): Promise<Figure[]> {
  return withPool(2, context, async (pool) => {
    await pool.map(double, s.w1Items);
    await pool.map(double, s.w1Items, { chunkSize: 1 });
    const n = s.w1Items.length;
    return [
      await throughputFigure(who(context), 'default chunks', n, s.w1Reps, () => pool.map(double, s.w1Items)),
      await throughputFigure(who(context), 'chunkSize 1', n, s.w1Reps, () => pool.map(double, s.w1Items, { chunkSize: 1 })),
    ];
  });
}

/** W2: the CPU tasks on a pool of one worker per core, one task per message; against the serial time. */
export function w2(context: ContextName, s: Settings): Promise<Figure[]> {
  return withPool(s.cores, context, async (pool) => {
    await pool.map(burn, Array<number>(2 * s.cores).fill(20_000), { chunkSize: 1 }); // every worker up, burn compiled
    const rounds = await speedupRounds(s, () => pool.map(burn, Array<number>(s.w2Tasks).fill(s.w2Limit), { chunkSize: 1 }));
    return [speedupFigure(who(context), rounds)];
  });
}

/** W3: create a Pool(2), run one task, close and join it. */
export async function w3(context: ContextName, s: Settings): Promise<Figure[]> {
  const figure = await startFigure(who(context), s.startRuns, () => withPool(2, context, (pool) => pool.map(double, [1])));
  return [figure];
}

/** W7: start and join a Process whose target does nothing. */
export async function w7(context: ContextName, s: Settings): Promise<Figure[]> {
  const { Process } = getContext(context);
  const figure = await startFigure(who(context), s.startRuns, async () => {
    const child = new Process({ target: noop });
    child.start();
    await child.join();
  });
  return [figure];
}

/** W8: four workers each add `w8Increments` to one shared Value under its lock; the total must be exact. */
export function w8(context: ContextName, s: Settings): Promise<Figure[]> {
  return withPool(4, context, async (pool) => {
    await pool.map(noop, [1, 2, 3, 4]); // every worker up
    const counter = new Value('i', 0);
    const jobs = Array.from({ length: 4 }, () => [counter, s.w8Increments] as [typeof counter, number]);
    const ms = await timeMs(() => pool.map(incrementMany, jobs, { chunkSize: 1 }));
    if (counter.value !== 4 * s.w8Increments) throw new Error(`W8: the total is ${counter.value}, not ${4 * s.w8Increments}`);
    return [{ who: who(context), value: (4 * s.w8Increments) / (ms / 1000), unit: 'ops/s', detail: `total ${counter.value} (exact)` }];
  });
}

/** W9: ping-pong between this process and a child through two Events; microseconds per round trip. */
export async function w9(context: ContextName, s: Settings): Promise<Figure[]> {
  const { Process } = getContext(context);
  const ping = new Event();
  const answer = new Event();
  const warmUp = 100;
  const child = new Process({ target: pong, args: [ping, answer, warmUp + s.w9RoundTrips] });
  child.start();
  const roundTrip = async () => {
    ping.set();
    await answer.wait();
    answer.clear();
  };
  for (let turn = 0; turn < warmUp; turn++) await roundTrip();
  const ms = await timeMs(async () => {
    for (let turn = 0; turn < s.w9RoundTrips; turn++) await roundTrip();
  });
  await child.join();
  return [{ who: who(context), value: (ms * 1000) / s.w9RoundTrips, unit: 'µs' }];
}
