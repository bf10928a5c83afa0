// Compile-only checks (run by `tsc --noEmit`; never executed): every proxy can be disposed,
// which drops its reference to the managed object.
import { Manager } from 'multiproc';

function expectType<T>(_value: T): void {}

export async function checks(): Promise<void> {
  await using manager = await Manager();
  using dict = await manager.dict();
  await using list = await manager.list();
  expectType<Disposable & AsyncDisposable>(await manager.Lock());
  await using pool = await manager.Pool();
  using pending = await pool.applyAsync((x: number) => x + 1, [1]);
  expectType<number>(await pending.get());
  expectType<AsyncDisposable>(await pool.imap((x: number) => x, [1]));
  await dict.set('items', list);
}
