// Signal names and numbers as users write them, checked before they reach kill(2) or sigaction(2).
// Names are Node's (os.constants.signals: 'SIGUSR1', as process.kill and Python's signal.Signals
// spell them), plus the real-time signals as `kill -l` prints them ('SIGRTMIN', 'SIGRTMIN+3',
// 'SIGRTMAX-2', 'SIGRTMAX'), whose numbers the C library decides.

import { constants } from 'node:os';
import { invalidType, invalidValue, outOfRange } from '../base/validate.js';
import type { SignalNumbers } from '../native/binding.js';

/** A signal by name ('SIGUSR1', 'SIGRTMIN+2') or number. */
export type SignalName = NodeJS.Signals | `SIGRTMIN${string}` | `SIGRTMAX${string}`;

const namedSignals: Readonly<Record<string, number>> = constants.signals;
/** The highest signal number with a name in os.constants.signals (31 on Linux). */
const lastStandardSignal = Math.max(...Object.values(namedSignals));

/** Signals a handler cannot take, or must not: why each is refused. */
const uncatchable: ReadonlyMap<number, string> = new Map(
  [
    ['SIGKILL', 'the kernel never lets a process catch SIGKILL or SIGSTOP'],
    ['SIGSTOP', 'the kernel never lets a process catch SIGKILL or SIGSTOP'],
    ['SIGSEGV', 'it is raised by a faulting instruction, which would run again when the handler returns'],
    ['SIGBUS', 'it is raised by a faulting instruction, which would run again when the handler returns'],
    ['SIGFPE', 'it is raised by a faulting instruction, which would run again when the handler returns'],
    ['SIGILL', 'it is raised by a faulting instruction, which would run again when the handler returns'],
    [
      'SIGCHLD',
      "Node's child_process owns it (libuv installs its handler at each first child and removes it when the last one ends, " +
        "which would take the signal from the wait); await the child's 'exit' event or Process.join() instead",
    ],
  ].map(([name, reason]) => [namedSignals[name as string] as number, reason as string]),
);

/** Parses 'SIGRTMIN', 'SIGRTMIN+n', 'SIGRTMAX', 'SIGRTMAX-n'; undefined for anything else. */
function realtimeNumber(name: string, numbers: SignalNumbers): number | undefined {
  const match = /^SIGRT(MIN|MAX)(?:([+-])(\d{1,3}))?$/.exec(name);
  if (!match) return undefined;
  const [, end, sign, offsetText] = match;
  const offset = offsetText === undefined ? 0 : Number(offsetText);
  if (end === 'MIN' && sign !== '-') return numbers.realtimeMin + offset;
  if (end === 'MAX' && sign !== '+') return numbers.realtimeMax - offset;
  return undefined;
}

function numberOfName(where: string, name: string, numbers: SignalNumbers): number {
  const named = Object.hasOwn(namedSignals, name) ? namedSignals[name] : realtimeNumber(name, numbers);
  if (named !== undefined && named >= 1 && named <= numbers.realtimeMax) return named;
  const guess = `SIG${name.toUpperCase().replace(/^SIG/, '')}`;
  const hint = Object.hasOwn(namedSignals, guess)
    ? `Did you mean "${guess}"?`
    : `Use a name of os.constants.signals, SIGRTMIN+n / SIGRTMAX-n, or a number.`;
  throw invalidValue(where, 'a signal name such as "SIGUSR1"', name, hint);
}

function checkNumber(where: string, signo: number, numbers: SignalNumbers, allowZero: boolean): number {
  const lowest = allowZero ? 0 : 1;
  if (!Number.isInteger(signo) || signo < lowest || signo > numbers.realtimeMax) {
    throw outOfRange(where, `a signal number from ${lowest} to ${numbers.realtimeMax}`, signo);
  }
  if (signo > lastStandardSignal && signo < numbers.realtimeMin) {
    throw invalidValue(
      where,
      `a signal number that is not reserved by the C library (${lastStandardSignal + 1} to ${numbers.realtimeMin - 1} are)`,
      signo,
      'Use SIGRTMIN+n for a real-time signal.',
    );
  }
  return signo;
}

/**
 * The number of a signal given by name or number. `allowZero`: 0, the existence check of kill(2)
 * (Python's os.kill(pid, 0)), is accepted.
 */
export function signalNumber(where: string, signal: unknown, numbers: SignalNumbers, allowZero = false): number {
  if (typeof signal === 'string') return numberOfName(where, signal, numbers);
  if (typeof signal === 'number') return checkNumber(where, signal, numbers, allowZero);
  throw invalidType(where, 'a signal name (string) or number', signal);
}

/** Like signalNumber, for a signal waitSignal may catch: refuses SIGKILL, SIGSTOP, the faults, SIGCHLD and the addon's own. */
export function catchableSignalNumber(where: string, signal: unknown, numbers: SignalNumbers): number {
  const signo = signalNumber(where, signal, numbers);
  const reason =
    uncatchable.get(signo) ??
    (signo === numbers.interrupt ? 'multiproc uses it to interrupt its waiting threads' : undefined);
  if (reason !== undefined) {
    throw invalidValue(where, 'a signal that can be caught', signal, `${signalName(signo, numbers)} is refused: ${reason}.`);
  }
  return signo;
}

/** The name of a signal number: Node's first name for it ('SIGABRT', not 'SIGIOT'), or SIGRTMIN+n / SIGRTMAX-n as `kill -l` prints it. */
export function signalName(signo: number, numbers: SignalNumbers): string {
  for (const [name, value] of Object.entries(namedSignals)) if (value === signo) return name;
  if (signo === 0) return '0';
  const { realtimeMin, realtimeMax } = numbers;
  if (signo < realtimeMin || signo > realtimeMax) return String(signo);
  if (signo === realtimeMin) return 'SIGRTMIN';
  if (signo === realtimeMax) return 'SIGRTMAX';
  const fromMin = signo - realtimeMin;
  return fromMin <= Math.floor((realtimeMax - realtimeMin) / 2) ? `SIGRTMIN+${fromMin}` : `SIGRTMAX-${realtimeMax - signo}`;
}

/** Every name os.constants.signals gives to `signo` (SIGIO and SIGPOLL are one signal). */
export function namesOf(signo: number): string[] {
  return Object.keys(namedSignals).filter((name) => namedSignals[name] === signo);
}

/** The number of one of Node's signal names (a process.on event), or undefined for any other event. */
export function nodeSignalNumber(event: string): number | undefined {
  return Object.hasOwn(namedSignals, event) ? namedSignals[event] : undefined;
}
