// Raw Node: child_process.fork of an empty module, the floor for starting a Node process (W7);
// and for W4 to W6, Node's own message passing with no library: child_process.fork's IPC channel
// with serialization 'advanced' (Buffers as bytes), and worker_threads postMessage (a structured
// clone: copied, nothing transferred), both to bench/peers/workers/ipc.mjs.
// The children get no --import tsx (execArgv: []) even when the harness runs under tsx.
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { attempt, type Figure, peerWorkers, repeat, roundTripsFigure, type Settings, startFigure, streamFigure, timeMs, W5_MESSAGES, within } from '../measure.ts';

export const name = 'raw child_process.fork';
export const threadName = 'raw worker_threads';
const emptyModule = join(peerWorkers, 'empty.mjs');
const ipcModule = join(peerWorkers, 'ipc.mjs');

/** W7: fork an empty module and wait for its exit. */
export async function w7(s: Settings): Promise<Figure[]> {
  const figure = await startFigure(name, s.startRuns, async () => {
    const child = fork(emptyModule, [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    await once(child, 'exit');
  });
  return [figure];
}

type Kind = 'fork' | 'thread';

/** How long a child may take over one measurement before it counts as hung. */
const CHILD_LIMIT_MS = 120_000;
/** How long a child asked to exit may take before it is killed. */
const EXIT_GRACE_MS = 5_000;

/** ipc.mjs in a forked process or a worker thread, behind one interface. */
class RawChild {
  /** Called with every message from the child. */
  onMessage: (message: unknown) => void = () => {};
  /** Rejects when the child fails or exits before end() (never resolves). */
  readonly failed: Promise<never>;
  readonly #process: ChildProcess | null;
  readonly #thread: Worker | null;
  readonly #exited: Promise<void>;
  #hasExited = false;
  #isEnding = false;

  constructor(kind: Kind) {
    if (kind === 'fork') {
      this.#process = fork(ipcModule, [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      this.#thread = null;
    } else {
      this.#process = null;
      this.#thread = new Worker(ipcModule, { execArgv: [] });
    }
    const emitter = this.#process ?? this.#thread!;
    emitter.on('message', (message: unknown) => this.onMessage(message));
    this.#exited = new Promise((resolve) => emitter.once('exit', () => resolve()));
    this.failed = new Promise<never>((_, reject) => {
      emitter.on('error', reject);
      emitter.once('exit', (code: number | null, signal?: NodeJS.Signals | null) => {
        this.#hasExited = true;
        if (!this.#isEnding) reject(new Error(`the child exited (${signal ?? `code ${code}`}) before the end`));
      });
    });
    this.failed.catch(() => {}); // seen by whoever races it
  }

  send(message: unknown): void {
    if (this.#process) this.#process.send(message as Parameters<ChildProcess['send']>[0]);
    else this.#thread!.postMessage(message);
  }

  /** Asks the child to exit and waits for it; kills it when it takes too long (at once with `force`). */
  async end(force = false): Promise<void> {
    this.#isEnding = true;
    if (this.#hasExited) return;
    if (!force) {
      try {
        this.send({ op: 'exit' });
      } catch {
        force = true; // its channel is already gone
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, force ? 0 : EXIT_GRACE_MS)));
    await Promise.race([this.#exited, grace]);
    clearTimeout(timer);
    if (!this.#hasExited) {
      if (this.#process) this.#process.kill('SIGKILL');
      else await this.#thread!.terminate();
      await this.#exited;
    }
  }
}

/** Starts a child, runs `use` with it, raced against its failure and a time limit; ends the child whatever happens. */
async function withRawChild<T>(kind: Kind, use: (child: RawChild) => Promise<T>): Promise<T> {
  const child = new RawChild(kind);
  let ok = false;
  try {
    const result = await within(Promise.race([use(child), child.failed]), CHILD_LIMIT_MS, 'the child');
    ok = true;
    return result;
  } finally {
    await child.end(!ok);
  }
}

/** W4: the child sends warmUp then count messages; this process receives them (ms from 'go' to the last). */
function stream(kind: Kind, warmUp: number, count: number, bytes: number): Promise<number> {
  return withRawChild(kind, async (child) => {
    let received = 0;
    let started = 0;
    const done = new Promise<number>((resolve, reject) => {
      child.onMessage = (message) => {
        received++;
        if (received === warmUp) {
          started = performance.now();
          child.send('go');
        } else if (received === warmUp + count) {
          const ms = performance.now() - started;
          const ok = bytes ? message instanceof Uint8Array && message.byteLength === bytes : message === count - 1;
          if (ok) resolve(ms);
          else reject(new Error(`W4: the last message is not what the producer sent (${message instanceof Uint8Array ? `${message.byteLength} bytes` : String(message)})`));
        }
      };
    });
    child.send({ op: 'produce', warmUp, count, bytes });
    return done;
  });
}

function w4For(kind: Kind, who: string, what: string) {
  return async (s: Settings): Promise<Figure[]> => [
    await attempt(who, undefined, 'msg/s', async () => streamFigure(who, undefined, 'msg/s', s.w4Items, 0, await stream(kind, s.w4WarmUp, s.w4Items, 0))),
    await attempt(who, undefined, 'MB/s', async () =>
      streamFigure(who, undefined, 'MB/s', s.w4BigItems, s.w4BigBytes, await stream(kind, s.w4BigWarmUp, s.w4BigItems, s.w4BigBytes)),
    ).then((figure) => ({ ...figure, detail: `${figure.detail}, ${what}` })),
  ];
}

/** Runs `use` with a child that sends back every message, and a function for one round trip. */
function withEcho<T>(kind: Kind, use: (roundTrip: (message: unknown) => Promise<unknown>) => Promise<T>): Promise<T> {
  return withRawChild(kind, (child) => {
    let answer: (message: unknown) => void = () => {};
    child.onMessage = (message) => answer(message);
    child.send({ op: 'echo' });
    return use(
      (message) =>
        new Promise((resolve) => {
          answer = resolve;
          child.send(message);
        }),
    );
  });
}

function w5For(kind: Kind, who: string) {
  return async (s: Settings): Promise<Figure[]> =>
    withEcho(kind, async (roundTrip) => {
      const out: Figure[] = [];
      for (const { what, make, last } of W5_MESSAGES) {
        for (let turn = 0; turn < s.w5WarmUp; turn++) await roundTrip(make(turn));
        let back: unknown;
        const ms = await timeMs(async () => {
          for (let turn = 0; turn < s.w5RoundTrips; turn++) back = await roundTrip(make(turn));
        });
        if (last(back) !== s.w5RoundTrips - 1) throw new Error(`W5 (${what}): the last answer is ${JSON.stringify(back)}, not ${s.w5RoundTrips - 1}`);
        out.push({ who, what, value: (ms * 1000) / s.w5RoundTrips, unit: 'µs' });
      }
      return out;
    });
}

function w6For(kind: Kind, who: string, what: string) {
  return async (s: Settings): Promise<Figure[]> => {
    const data = Buffer.alloc(s.w6Bytes, 7);
    const times = await withEcho(kind, async (roundTrip) => {
      const once = async () => {
        const back = await roundTrip(data);
        if (!(back instanceof Uint8Array) || back.byteLength !== data.byteLength) {
          throw new Error(`W6: ${back instanceof Uint8Array ? `${back.byteLength} bytes` : typeof back} came back, not ${data.byteLength} bytes`);
        }
      };
      await once();
      return repeat(s.w6Rounds, () => timeMs(once));
    });
    const figure = roundTripsFigure(who, undefined, s.w6Bytes, times);
    return [{ ...figure, detail: `${figure.detail}, ${what}` }];
  };
}

/** W4 to W6 through child_process.fork's IPC channel, serialization 'advanced'. */
export const w4 = w4For('fork', name, 'Buffers, serialization advanced');
export const w5 = w5For('fork', name);
export const w6 = w6For('fork', name, 'send(Buffer), advanced');

/** W4 to W6 through worker_threads postMessage (copied). */
export const threadW4 = w4For('thread', threadName, 'Buffers copied, not transferred');
export const threadW5 = w5For('thread', threadName);
export const threadW6 = w6For('thread', threadName, 'postMessage(Buffer), copied');
