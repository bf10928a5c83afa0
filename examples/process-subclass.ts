// Python: class Worker(Process): def run(self): ...  The subclass is registered so that the
// child can find it; the child copies the instance's fields and calls run(), not the constructor.
import { isMain, Process, Queue, register } from 'multiproc';

export class Worker extends Process {
  constructor(
    readonly results: Queue<string>,
    readonly who: string,
  ) {
    super();
  }

  override async run(): Promise<void> {
    await this.results.put(`hello ${this.who} from ${this.name}`);
  }
}

register(import.meta.url, { Worker });

if (isMain(import.meta.url)) {
  const results = new Queue<string>();
  const worker = new Worker(results, 'world');
  worker.start();
  console.log(await results.get()); // hello world from Worker-1
  await worker.join();
  console.log(`exit code ${worker.exitCode}`);
}
