// Python: p = Process(target=greet, args=('bob',)); p.start(); p.join()
import { isMain, Process } from 'multiproc';
import { greet } from './tasks.ts';

if (isMain(import.meta.url)) {
  const child = new Process({ target: greet, args: ['bob'] });
  child.start();
  await child.join();
  console.log(`exit code ${child.exitCode}`);
}
