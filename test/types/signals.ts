// Compile-only checks (run by `tsc --noEmit`; never executed): the signal names sendSignal and
// waitSignal accept, and what waitSignal resolves with.
import { type SignalInfo, sendSignal, waitSignal } from 'multiproc/ipc';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertEqual<_ extends true>(): void {}

export async function checks(pid: number): Promise<void> {
  sendSignal(pid, 'SIGUSR1');
  sendSignal(pid, 0);
  sendSignal(pid, 'SIGRTMIN+2');
  // @ts-expect-error: names are spelled as Node's os.constants.signals spells them
  sendSignal(pid, 'USR1');
  const info = await waitSignal('SIGTERM', { timeout: 1000, signal: new AbortController().signal });
  assertEqual<Equals<typeof info, SignalInfo>>();
  assertEqual<Equals<typeof info.pid, number | undefined>>();
  assertEqual<Equals<typeof info.signal, string>>();
  // @ts-expect-error: the timeout is a number of milliseconds
  await waitSignal('SIGTERM', { timeout: '1s' });
}
