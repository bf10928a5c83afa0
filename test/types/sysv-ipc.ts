// Compile-only checks of the System V types of multiproc/ipc (run by `tsc`; never executed).
import { ftok, IPC_PRIVATE, type SysVMessage, SysVMessageQueue, SysVSemaphoreSet, SysVSharedMemory } from 'multiproc/ipc';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertEqual<_ extends true>(): void {}

export async function checks(): Promise<void> {
  const key: number = ftok('/tmp', 1);
  const queue = new SysVMessageQueue(key, { create: true, exclusive: false, mode: 0o600 });
  await queue.send(1, 'text');
  await queue.send(2, new Uint8Array(4), { timeout: 10, signal: AbortSignal.timeout(100) });
  const message = await queue.receive({ type: -5, timeout: null });
  assertEqual<Equals<typeof message, SysVMessage>>();
  assertEqual<Equals<typeof message.data, Buffer>>();
  // @ts-expect-error: a message type is a number
  await queue.send('1', 'text');
  // @ts-expect-error: no such option
  new SysVMessageQueue(key, { size: 1 });

  const set = new SysVSemaphoreSet(IPC_PRIVATE, 2, { value: 1 });
  const done: Promise<void> = set.op([{ index: 0, delta: -1 }], { undo: true, timeout: 5 });
  await done;
  const took: boolean = set.tryOp([{ index: 1, delta: 0 }]);
  const value: number = set.get(0);
  set.set(0, value + Number(took));
  // @ts-expect-error: operations are { index, delta } objects
  await set.op([[0, -1]]);

  const memory = new SysVSharedMemory(key, 64, { create: true });
  const bytes: Buffer = memory.buf;
  const words = new Int32Array(bytes.buffer);
  Atomics.add(words, 0, 1);
  memory.detach();
  memory.remove();
  set.remove();
  queue.remove();
}
