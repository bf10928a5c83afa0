// Compile-only checks of the public types (run by `tsc --noEmit`; never executed).
import { type AsyncResult, type Connection, getContext, JoinableQueue, Pipe, Pool, Process, Queue, taskRef, ThreadPool, wait } from 'multiproc';
import type { square } from '../fixtures/tasks.ts';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T>(_value: T): void {}
function assertEqual<_ extends true>(): void {}

export async function checks(pool: Pool): Promise<void> {
  const squares = await pool.map((x: number) => x * 2, [1, 2]);
  assertEqual<Equals<typeof squares, number[]>>();

  const asyncResults = await pool.map(async (x: number) => String(x), [1]);
  assertEqual<Equals<typeof asyncResults, string[]>>();

  // The item type flows from the iterable into an unannotated inline function.
  const inferred = await pool.map((x) => x.toFixed(1), [1.5]);
  assertEqual<Equals<typeof inferred, string[]>>();

  const ref = taskRef<typeof import('../fixtures/tasks.ts'), 'square'>(new URL('../fixtures/tasks.ts', import.meta.url), 'square');
  const viaRef = await pool.map(ref, [1, 2]);
  assertEqual<Equals<typeof viaRef, number[]>>();
  // @ts-expect-error: square takes numbers
  await pool.map(ref, ['a']);

  const summed = await pool.starmap((a: number, b: number) => a + b, [[1, 2]]);
  assertEqual<Equals<typeof summed, number[]>>();

  const applied: AsyncResult<number> = pool.applyAsync((a: number, b: number) => a * b, [2, 3]);
  expectType<number>(await applied);
  // @ts-expect-error: the arguments must match the function's parameters
  pool.applyAsync((a: number) => a, ['x']);

  for await (const value of pool.imap((x: number) => x > 1, [1, 2])) expectType<boolean>(value);

  // @ts-expect-error: options are an object
  new Pool({ processes: '2' });
  const threads = new ThreadPool(2);
  expectType<Pool>(threads);
  const ctx = getContext('thread');
  expectType<Pool>(new ctx.Pool({ processes: 1 }));

  const child = new Process({ target: (name: string) => name.length, args: ['x'] });
  expectType<number | null>(child.exitCode);
  expectType<number | undefined>(child.pid);
  // @ts-expect-error: args must match the target's parameters
  new Process({ target: (name: string) => name.length, args: [1] });

  const [left, right] = Pipe();
  expectType<Connection>(left);
  expectType<Promise<{ id: number }>>(right.recv<{ id: number }>());
  expectType<void>(left.send({ id: 1 }));
  const queue = new Queue<number>(10);
  expectType<Promise<number>>(queue.get({ timeout: 5 }));
  // @ts-expect-error: a Queue<number> takes numbers
  queue.putNowait('one');
  const jobs = new JoinableQueue<string>();
  expectType<void>(jobs.taskDone());
  expectType<Promise<Array<Connection | Process>>>(wait([left, child], 10));
  expectType<typeof Queue>(ctx.Queue);
}

export type { square };
