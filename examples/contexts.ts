// Python: ctx = get_context('spawn'); with ctx.Pool() as pool: ...; and multiprocessing.dummy for
// threads. The same program runs its tasks on worker threads or on processes by choosing a context.
import { getContext, getStartMethod, isMain, setStartMethod, Thread } from 'multiproc';
import { greet, square } from './tasks.ts';

if (isMain(import.meta.url)) {
  const threads = getContext('thread'); // worker_threads in this process (Python: multiprocessing.dummy)
  await using threadPool = new threads.Pool(2);
  console.log('threads:', await threadPool.map(square, [1, 2, 3]));

  const processes = getContext('process'); // separate OS processes (Python: get_context('spawn'))
  await using processPool = new processes.Pool(2);
  console.log('processes:', await processPool.map(square, [4, 5, 6]));

  setStartMethod('thread'); // the default of the root's Pool and Process from now on
  console.log('start method:', getStartMethod());
  const thread = new Thread({ target: greet, args: ['a thread'] }); // Python: threading.Thread
  thread.start();
  await thread.join();
  console.log(`same pid: ${thread.pid === process.pid}, exit code ${thread.exitCode}`);
}
