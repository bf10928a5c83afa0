// The multiproc participant, once per context: 'process' (OS processes) and 'thread' (worker
// threads). run.ts imports this module inside a try: if the library does not load, the
// top-level await below rejects and the harness reports multiproc unavailable.
import { type ContextName, librarySource, loadMultiproc, type MultiprocConnection, type MultiprocPool, type MultiprocProcess } from './library.ts';
import {
  attempt,
  type Figure,
  repeat,
  roundTripsFigure,
  type Settings,
  speedupFigure,
  speedupRounds,
  startFigure,
  streamFigure,
  throughputFigure,
  timeMs,
  W5_MESSAGES,
  within,
} from './measure.ts';
import { burn, dictSetGet, double, echo, incrementMany, noop, pong, produce } from './tasks.ts';

const { Pool, getContext, Value, Event, Pipe, Queue, ProcessPoolExecutor, ThreadPoolExecutor, Manager } = await loadMultiproc();

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

/** How long a child may take over one measurement before it counts as hung (W4 to W6). */
const CHILD_LIMIT_MS = 120_000;

/**
 * Starts `child` and runs `use`, then waits for the child to exit. Rejects when `use` does, when
 * the child exits with a non-zero code, or after CHILD_LIMIT_MS; the child is terminated and
 * joined whatever happens, then `release` closes what the parent holds.
 */
export async function withChild<T>(child: MultiprocProcess, use: () => Promise<T>, release: () => void): Promise<T> {
  try {
    child.start();
    const failed = child.join().then(() => {
      if (child.exitCode !== 0) throw new Error(`the child exited with code ${child.exitCode}`);
      return new Promise<never>(() => {}); // a clean exit is no failure: what it sent is still to be read
    });
    failed.catch(() => {}); // seen below, or after the measurement ended
    const work = (async () => {
      const result = await Promise.race([use(), failed]);
      await Promise.race([child.join(), failed]);
      if (child.exitCode !== 0) throw new Error(`the child exited with code ${child.exitCode}`);
      return result;
    })();
    return await within(work, CHILD_LIMIT_MS, 'the child');
  } finally {
    if (child.exitCode === null) {
      try {
        child.terminate();
        await child.join();
      } catch {
        // never started
      }
    }
    release();
  }
}

/** W4: a child puts `warmUp` then `count` messages of `bytes` bytes (0: small ints); this process gets them (ms of the timed part). */
async function queueStream(context: ContextName, warmUp: number, count: number, bytes: number): Promise<number> {
  const { Process } = getContext(context);
  const queue = new Queue<number | Uint8Array>();
  const go = new Event();
  const child = new Process({ target: produce, args: [queue, go, warmUp, count, bytes] });
  return withChild(
    child,
    async () => {
      for (let index = 0; index < warmUp; index++) await queue.get();
      let last = -1 as number | Uint8Array;
      const ms = await timeMs(async () => {
        go.set();
        for (let index = 0; index < count; index++) last = await queue.get();
      });
      const ok = bytes ? last instanceof Uint8Array && last.byteLength === bytes : last === count - 1;
      if (!ok) throw new Error(`W4: the last message is not what the producer put (${last instanceof Uint8Array ? `${last.byteLength} bytes` : String(last)})`);
      return ms;
    },
    () => queue.close(),
  );
}

/** W4: one producer child, this process the consumer, through a Queue: small ints (msg/s), then 1 MB messages (MB/s). */
export async function w4(context: ContextName, s: Settings): Promise<Figure[]> {
  return [
    await attempt(who(context), 'Queue', 'msg/s', async () =>
      streamFigure(who(context), 'Queue', 'msg/s', s.w4Items, 0, await queueStream(context, s.w4WarmUp, s.w4Items, 0)),
    ),
    await attempt(who(context), 'Queue', 'MB/s', async () =>
      streamFigure(who(context), 'Queue', 'MB/s', s.w4BigItems, s.w4BigBytes, await queueStream(context, s.w4BigWarmUp, s.w4BigItems, s.w4BigBytes)),
    ),
  ];
}

/** W5 and W6: runs `use` with this end of a Pipe whose other end is a child's that sends back each of `times` messages. */
async function withEcho<T>(context: ContextName, times: number, use: (end: MultiprocConnection) => Promise<T>): Promise<T> {
  const { Process } = getContext(context);
  const [mine, theirs] = Pipe();
  const child = new Process({ target: echo, args: [theirs, times] });
  return withChild(
    child,
    () => {
      theirs.close(); // the child holds its own copy now: if it dies, recv() here rejects with EOFError
      return use(mine);
    },
    () => {
      mine.close();
      theirs.close();
    },
  );
}

/** W5: ping-pong of a small int, then of a small object, through a Pipe with a child that sends each back; microseconds per round trip. */
export async function w5(context: ContextName, s: Settings): Promise<Figure[]> {
  const times = W5_MESSAGES.length * (s.w5WarmUp + s.w5RoundTrips);
  const figures = await withEcho(context, times, async (end) => {
    const out: Figure[] = [];
    for (const { what, make, last } of W5_MESSAGES) {
      for (let turn = 0; turn < s.w5WarmUp; turn++) {
        end.send(make(turn));
        await end.recv();
      }
      let back: unknown;
      const ms = await timeMs(async () => {
        for (let turn = 0; turn < s.w5RoundTrips; turn++) {
          end.send(make(turn));
          back = await end.recv();
        }
      });
      if (last(back) !== s.w5RoundTrips - 1) throw new Error(`W5 (${what}): the last answer is ${JSON.stringify(back)}, not ${s.w5RoundTrips - 1}`);
      out.push({ who: who(context), what, value: (ms * 1000) / s.w5RoundTrips, unit: 'µs' });
    }
    return out;
  });
  return figures;
}

/** W6: a Buffer of w6Bytes to a child and back through a Pipe, one untimed round then w6Rounds timed; ms per round trip, median. */
export async function w6(context: ContextName, s: Settings): Promise<Figure[]> {
  const data = Buffer.alloc(s.w6Bytes, 7);
  const times = await withEcho(context, 1 + s.w6Rounds, async (end) => {
    const roundTrip = async () => {
      end.send(data);
      const back = await end.recv();
      if (!(back instanceof Uint8Array) || back.byteLength !== data.byteLength) {
        throw new Error(`W6: ${back instanceof Uint8Array ? `${back.byteLength} bytes` : typeof back} came back, not ${data.byteLength} bytes`);
      }
    };
    await roundTrip();
    return repeat(s.w6Rounds, () => timeMs(roundTrip));
  });
  return [roundTripsFigure(who(context), 'Pipe, send(Buffer)', s.w6Bytes, times)];
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

/** W10: `w10Futures` trivial calls submitted to an executor of 2 workers at once, then every result awaited (futures/s). */
export async function w10(context: ContextName, s: Settings): Promise<Figure[]> {
  const Executor = context === 'thread' ? ThreadPoolExecutor : ProcessPoolExecutor;
  const executor = new Executor({ maxWorkers: 2 });
  try {
    const round = async () => {
      const futures = Array.from({ length: s.w10Futures }, (_, index) => executor.submit(double, index));
      for (const future of futures) await future.result();
    };
    await round(); // warm-up: workers started, code optimized
    const ms = await timeMs(round);
    return [{ who: who(context), what: Executor.name, value: s.w10Futures / (ms / 1000), unit: 'futures/s', detail: `${s.w10Futures.toLocaleString('en-US')} futures in ${ms.toFixed(1)} ms` }];
  } finally {
    await executor.shutdown();
  }
}

/** W11: two children each set and get their own key of one manager dict `w11Pairs` times (ops/s, a set or a get each). */
export async function w11(context: ContextName, s: Settings): Promise<Figure[]> {
  const { Process } = getContext(context);
  const manager = await Manager();
  try {
    const dict = await manager.dict();
    const go = new Event();
    const readies = [new Event(), new Event()];
    const children = readies.map((ready, index) => new Process({ target: dictSetGet, args: [dict, `key${index}`, s.w11Pairs, ready, go] }));
    for (const child of children) child.start();
    for (const ready of readies) await ready.wait();
    const ms = await timeMs(async () => {
      go.set();
      for (const child of children) await child.join();
    });
    if (children.some((child) => child.exitCode !== 0)) throw new Error(`W11: a child exited with code ${children.map((child) => child.exitCode).join(', ')}`);
    const ops = 2 * 2 * s.w11Pairs;
    return [{ who: who(context), what: 'Manager().dict()', value: ops / (ms / 1000), unit: 'ops/s', detail: `${ops.toLocaleString('en-US')} calls in ${ms.toFixed(1)} ms` }];
  } finally {
    await manager.shutdown();
  }
}
