// Python: an exception in a worker is re-raised in the parent with the remote traceback, and
// (beyond Python) a worker that dies fails its tasks with WorkerLostError instead of hanging.
import { isMain, Pool, register, WorkerLostError } from 'multiproc';

export function parseConfig(text: string): unknown {
  return JSON.parse(text);
}

export function crash(): void {
  process.exit(3);
}

register(import.meta.url, { parseConfig, crash });

if (isMain(import.meta.url)) {
  await using pool = new Pool(2);
  try {
    await pool.apply(parseConfig, ['bad']);
  } catch (error) {
    console.log((error as Error).name); // SyntaxError, as thrown in the worker
    console.log(((error as Error).cause as Error).name, 'holds the worker stack:', ((error as Error).cause as Error).message.includes('parseConfig'));
  }
  try {
    await pool.apply(crash, []);
  } catch (error) {
    console.log(error instanceof WorkerLostError ? 'WorkerLostError: the worker died, the pool goes on' : error);
  }
  console.log(await pool.apply(parseConfig, ['{"ok":true}']));
  try {
    new Pool(0);
  } catch (error) {
    console.log((error as Error).message);
  }
}
