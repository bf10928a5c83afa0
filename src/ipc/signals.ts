// Signals between any two processes: sendSignal is kill(2) (Python's os.kill), waitSignal awaits
// one delivery with its sender's pid (Python's signal.sigwaitinfo / sigtimedwait), without
// blocking the event loop and without taking the signal from Node's own listeners. The catching
// itself is signal-catcher.ts; names and numbers are signal-names.ts.

import { isMainThread } from 'node:worker_threads';
import { abortReason, checkSignal, throwIfAborted } from '../base/abort.js';
import { InvalidStateError, TimeoutError } from '../base/errors.js';
import { keepAlive } from '../base/keep-alive.js';
import { checkInteger, checkOptionsObject, checkTimeout, outOfRange } from '../base/validate.js';
import type { NativeBinding, SignalNumbers } from '../native/binding.js';
import { requireNative } from '../native/loader.js';
import { SignalCatcher, type SignalInfo, type SignalWaiter } from './signal-catcher.js';
import { catchableSignalNumber, type SignalName, signalName, signalNumber } from './signal-names.js';

export type { SignalInfo } from './signal-catcher.js';
export type { SignalName } from './signal-names.js';

/** The options of waitSignal. */
export interface WaitSignalOptions {
  /** Milliseconds to wait; then the promise rejects with TimeoutError. @default undefined (forever) */
  timeout?: number | null;
  /** Ends the wait early: the promise rejects with `signal.reason`. */
  signal?: AbortSignal | null;
}

/** The largest pid_t. */
const LARGEST_PID = 2 ** 31 - 1;

let numbers: SignalNumbers | undefined;

function numbersOf(native: NativeBinding): SignalNumbers {
  numbers ??= native.signalNumbers();
  return numbers;
}

/**
 * Sends `signal` to the process `pid` (kill(2), Python's `os.kill`). `signal` is a name of
 * `os.constants.signals` ('SIGUSR1'), 'SIGRTMIN+n' / 'SIGRTMAX-n', or a number; 0 sends nothing
 * and only checks that the process exists and may be signalled. `pid` must be a process (> 0):
 * process groups (0, negative pids) are refused.
 *
 * @throws an Error with `code` 'ESRCH' (no such process) or 'EPERM' (not yours):
 *   `kill(1234, SIGUSR1) failed: ESRCH (no such process)`.
 * @example
 *   sendSignal(process.ppid, 'SIGUSR1'); // tell the parent we are ready
 */
export function sendSignal(pid: number, signal: SignalName | number): void {
  const native = requireNative('sendSignal');
  checkInteger('sendSignal: "pid"', pid, 1, 'Process groups (0 and negative pids) are refused; use process.kill(-pgid, signal) for one.');
  if (pid > LARGEST_PID) throw outOfRange('sendSignal: "pid"', `a pid from 1 to ${LARGEST_PID}`, pid);
  const signalNumbers = numbersOf(native);
  const signo = signalNumber('sendSignal: "signal"', signal, signalNumbers, true);
  native.sendSignal(pid, signo, `${pid}, ${signalName(signo, signalNumbers)}`);
}

/**
 * Waits for one delivery of `signal` to this process and resolves with its name and sender
 * (Python's `signal.sigwaitinfo`; `sigtimedwait` with `timeout`). While a wait is pending the
 * signal is caught: its default action (and Node's own: SIGINT/SIGTERM exit, SIGUSR1 starts the
 * debugger) does not happen, while `process.on(signal)` listeners still run; at the end of the
 * loop turn in which the last wait ended, the signal's previous disposition applies again. Each delivery ends one wait, the oldest;
 * standard signals coalesce (two sent before the first is handled arrive once), real-time ones queue.
 * SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGCHLD (Node's child_process owns it)
 * are refused. Main thread only (signals
 * are delivered to the process; Node gives worker threads none either).
 *
 * @example
 *   const { pid } = await waitSignal('SIGUSR1', { timeout: 5000 });
 *   console.log(`process ${pid} is ready`);
 */
export async function waitSignal(signal: SignalName | number, options?: WaitSignalOptions): Promise<SignalInfo> {
  const native = requireNative('waitSignal');
  checkOptionsObject('waitSignal: "options"', options);
  const timeoutMs = checkTimeout('waitSignal: "timeout"', options?.timeout);
  const abortSignal = checkSignal('waitSignal: "signal" option', options?.signal);
  const signalNumbers = numbersOf(native);
  const signo = catchableSignalNumber('waitSignal: "signal"', signal, signalNumbers);
  if (!isMainThread) {
    throw new InvalidStateError(
      'waitSignal: signals are delivered to the process, and only its main thread can wait for them ' +
        '(Node gives worker threads no signals either). Wait on the main thread and post a message to the worker.',
    );
  }
  throwIfAborted(abortSignal);
  const catcher = SignalCatcher.of(native, (number) => signalName(number, signalNumbers));
  const what = `waitSignal(${signalName(signo, signalNumbers)})`;
  return keepAlive(awaitDelivery(catcher, signo, what, timeoutMs, abortSignal));
}

function awaitDelivery(
  catcher: SignalCatcher,
  signo: number,
  what: string,
  timeoutMs: number | undefined,
  abortSignal: AbortSignal | undefined,
): Promise<SignalInfo> {
  return new Promise<SignalInfo>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const stopLimits = () => {
      if (timer !== undefined) clearTimeout(timer);
      abortSignal?.removeEventListener('abort', onAbort);
    };
    const waiter: SignalWaiter = {
      signo,
      take: (info) => {
        stopLimits();
        resolve(info);
      },
    };
    // A delivery already caught but not yet read from the pipe is this waiter's if it is first:
    // giving up without reading it would lose a signal the process will not see again.
    const giveUp = (error: unknown) => {
      catcher.drain();
      if (!catcher.remove(waiter)) return;
      stopLimits();
      reject(error);
    };
    const onAbort = () => giveUp(abortSignal ? abortReason(abortSignal) : undefined);
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => giveUp(new TimeoutError(`${what}: not delivered within ${timeoutMs} ms.`)), timeoutMs);
      timer.unref(); // the pending wait holds the loop open (keepAlive); the timer must not add to that
    }
    abortSignal?.addEventListener('abort', onAbort, { once: true });
    try {
      catcher.add(waiter);
    } catch (error) {
      stopLimits();
      reject(error);
    }
  });
}
