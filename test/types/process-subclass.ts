// Compile-only checks of Process subclasses, authkey and start-method names (never executed).
import { getAllStartMethods, getContext, getStartMethod, Pool, Process, type Queue, register, type StartMethod, setStartMethod, Thread } from 'multiproc';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertEqual<_ extends true>(): void {}

export class Worker extends Process {
  constructor(readonly results: Queue<number>) {
    super({ authkey: 'shared' });
  }

  override async run(): Promise<void> {
    await this.results.put(1);
  }
}

export class SyncWorker extends Thread {
  override run(): void {}
}

register(import.meta.url, { Worker, SyncWorker, helper: (x: number) => x });

export function checks(results: Queue<number>): void {
  new Process().start();
  const worker = new Worker(results);
  const key: Uint8Array = worker.authkey;
  worker.authkey = 'a string is its UTF-8 bytes';
  worker.authkey = key;
  // @ts-expect-error: an authkey is bytes or a string
  worker.authkey = 42;
  const outcome: void | Promise<void> = worker.run();
  void outcome;

  const method = getStartMethod();
  assertEqual<Equals<typeof method, StartMethod>>();
  const maybe = getStartMethod({ allowNone: true });
  assertEqual<Equals<typeof maybe, StartMethod | null>>();
  const all = getAllStartMethods();
  assertEqual<Equals<typeof all, StartMethod[]>>();
  getContext('spawn');
  new Pool({ context: 'forkserver' });
  new Process({ context: 'spawn' });
  setStartMethod(null, { force: true });
  // @ts-expect-error: Node cannot fork a running program
  getContext('fork');
}
