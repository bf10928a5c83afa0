// Compile-only checks (run by `tsc --noEmit`; never executed): pipe ends are node:streams,
// openFifo's mode picks the stream type, socket pair ends are Connections with an fd.
import type { Readable, Writable } from 'node:stream';
import type { Connection } from 'multiproc';
import { connectionFromFd, openFifo, type PipeReadable, type PipeWritable, pipe, type SocketPairEnd, socketPair } from 'multiproc/ipc';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertEqual<_ extends true>(): void {}
function expectType<T>(_value: T): void {}

export async function checks(): Promise<void> {
  const ends: [Readable, Writable] = pipe();
  const [readable, writable] = pipe();
  expectType<number>(readable.fd);
  expectType<number>(writable.fd);
  expectType<[Readable, Writable]>(ends);

  const reader = await openFifo('/tmp/x', 'r', { timeout: 100 });
  assertEqual<Equals<typeof reader, PipeReadable>>();
  const writer = await openFifo('/tmp/x', 'w', { signal: new AbortController().signal });
  assertEqual<Equals<typeof writer, PipeWritable>>();
  // @ts-expect-error: a FIFO opens for 'r' or 'w'
  await openFifo('/tmp/x', 'rw');

  const [left, right] = socketPair<{ n: number }>({ maxMessageSize: 1024 });
  assertEqual<Equals<typeof left, SocketPairEnd<{ n: number }>>>();
  expectType<Connection<{ n: number }>>(right);
  expectType<number>(right.fd);
  left.send({ n: 1 });
  // @ts-expect-error: this pair carries { n: number }
  left.send('text');
  expectType<Connection<string>>(connectionFromFd<string>(3));
}
