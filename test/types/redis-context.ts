// Compile-only checks (run by `tsc --noEmit`; never executed): the redis context's options and
// members, as a consumer sees them through the published types.
import { getContext, type LocalOnly, Pool, ProcessPoolExecutor, type RedisContext } from 'multiproc';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertEqual<_ extends true>(): void {}
function expectType<T>(_value: T): void {}

export function checks(): void {
  const pool = new Pool({ context: 'redis', url: 'redis://127.0.0.1:6379', root: '.', queue: 'q', attempts: 3, stallTimeout: 60_000 });
  expectType<'process' | 'thread' | 'redis'>(pool.context);
  // @ts-expect-error: the redis context needs a url
  new Pool({ context: 'redis' });
  // @ts-expect-error: initializer belongs to local pools
  new Pool({ context: 'redis', url: 'redis://h', initializer: () => {} });

  const ctx = getContext('redis', { url: 'redis://127.0.0.1:6379' });
  assertEqual<Equals<typeof ctx, RedisContext>>();
  expectType<Pool>(new ctx.Pool({ queue: 'other' }));
  expectType<ProcessPoolExecutor>(new ctx.ProcessPoolExecutor());
  expectType<LocalOnly>(ctx.Process);
  expectType<'redis'>(ctx.getStartMethod());
  expectType<ProcessPoolExecutor>(new ProcessPoolExecutor({ context: 'redis', url: 'redis://h', maxWorkers: 8 }));
}
