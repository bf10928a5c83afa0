// Compile-only checks (run by `tsc --noEmit`; never executed): Connection<T>, JoinableQueue is a
// Queue, and the { signal } options of the waits.
import { type AsyncResult, type Client, type Connection, JoinableQueue, type Listener, Pipe, type Process, Queue } from 'multiproc';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertEqual<_ extends true>(): void {}
function expectType<T>(_value: T): void {}

export async function checks(listener: Listener, child: Process, result: AsyncResult<number>): Promise<void> {
  const [left, right] = Pipe<{ id: number }>();
  assertEqual<Equals<typeof left, Connection<{ id: number }>>>();
  left.send({ id: 1 });
  // @ts-expect-error: this pipe carries { id: number }
  left.send('text');
  const message = await right.recv();
  assertEqual<Equals<typeof message, { id: number }>>();

  // Without a type argument a connection carries unknown; Client and accept() give Connection<unknown>.
  const [plain] = Pipe();
  assertEqual<Equals<typeof plain, Connection<unknown>>>();
  assertEqual<Equals<Awaited<ReturnType<typeof plain.recv>>, unknown>>();
  assertEqual<Equals<Awaited<ReturnType<typeof Client>>, Connection<unknown>>>();
  assertEqual<Equals<Awaited<ReturnType<Listener['accept']>>, Connection<unknown>>>();
  expectType<Connection>(await listener.accept());

  const signal = new AbortController().signal;
  expectType<Promise<{ id: number }>>(right.recv({ signal }));
  expectType<Promise<boolean>>(right.poll(10, { signal }));
  expectType<Promise<Uint8Array>>(right.recvBytes(undefined, { signal }));
  expectType<Promise<number>>(right.recvBytesInto(new Uint8Array(8), 0, { signal }));
  expectType<Promise<void>>(child.join(undefined, { signal }));
  expectType<Promise<number>>(result.get(100, { signal }));

  const jobs = new JoinableQueue<number>();
  expectType<Queue<number>>(jobs);
  expectType<Promise<void>>(jobs.join({ signal }));
  expectType<Promise<number>>(jobs.get({ timeout: 5, signal }));
  expectType<Promise<void>>(new Queue<string>().put('x', { block: true, signal }));
}
