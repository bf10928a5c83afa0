// Compile-only checks (run by `tsc --noEmit`; never executed): the types of MappedFile, FileLock
// and lockRange as published in multiproc/ipc.
import type { FileHandle } from 'node:fs/promises';
import { FileLock, lockRange, MappedFile, type RangeLock } from 'multiproc/ipc';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertEqual<_ extends true>(): void {}
function expectType<T>(_value: T): void {}

export async function checks(handle: FileHandle): Promise<void> {
  const file = await MappedFile.open('data.bin', { size: 64, writable: true, shared: true, mode: 0o600 });
  assertEqual<Equals<typeof file.buf, Buffer>>();
  expectType<number>(file.size);
  expectType<Promise<void>>(file.flush());
  expectType<void>(file.close());
  expectType<Disposable>(file);
  // @ts-expect-error: the size is a number of bytes
  await MappedFile.open('data.bin', { size: '64' });
  // @ts-expect-error: open() is the way to make one
  new MappedFile();

  const lock = new FileLock('app.lock', { mode: 0o600 });
  const signal = new AbortController().signal;
  expectType<Promise<void>>(lock.lock({ shared: true, timeout: 100, signal }));
  expectType<boolean>(lock.tryLock({ shared: true }));
  expectType<boolean>(lock.held);
  expectType<void>(lock.unlock());
  expectType<Promise<AsyncDisposable & Disposable>>(lock.hold({ timeout: 5 }));

  const range = await lockRange(handle, 0, 10, { shared: false, timeout: 10, signal });
  assertEqual<Equals<typeof range, RangeLock>>();
  expectType<Disposable>(range);
  expectType<Promise<RangeLock>>(lockRange(handle.fd, 0, 0));
  // @ts-expect-error: an fd or a FileHandle, not a path
  await lockRange('data.bin', 0, 10);
}
