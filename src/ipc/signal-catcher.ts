// The process's caught signals and their waiters (one catcher per process, on the main thread).
// A signal is caught only while someone waits for it: the first waiter installs the addon's
// handler, and the last one to leave puts back what was there before. Each delivery goes to
// one waiter, the one that waited longest (signal.sigwaitinfo's rule: one delivery, one taker).
//
// The handlers that were there before still run after ours: libuv's, which runs process.on
// listeners, or another library's. Node's built-in actions
// do not, as a process.on listener replaces them too: SIGINT/SIGTERM restore the terminal and exit
// (a one-shot handler, never chained), SIGUSR1 starts the debugger (not chained without listeners).
// process.on(sig) makes libuv install its handler over ours, and removing the last listener makes
// libuv reset the signal to SIG_DFL; both happen inside Node's 'newListener' / 'removeListener'
// hooks, which run before ours (Node registers them at startup), so ours take the signal back at
// once, keeping what libuv installed as the disposition to restore.

import { namesOf, nodeSignalNumber } from './signal-names.js';
import type { NativeBinding } from '../native/binding.js';

/** A signal as it was delivered. */
export interface SignalInfo {
  /** The signal's name: 'SIGUSR1', 'SIGRTMIN+2' (Node's first name for it: 'SIGABRT', not 'SIGIOT'). */
  readonly signal: string;
  /** The signal's number (si_signo). */
  readonly number: number;
  /** The sender's pid (si_pid); absent when the kernel itself sent it (SI_KERNEL: a terminal's Ctrl-C, a timer...). */
  readonly pid?: number;
  /** The sender's real user id (si_uid); present with `pid`. */
  readonly uid?: number;
}

/** Someone waiting for one signal; `take` hands it a delivery (once). */
export interface SignalWaiter {
  readonly signo: number;
  take(info: SignalInfo): void;
}

// si_code values (Linux <asm-generic/siginfo.h>) whose si_pid and si_uid name a sending process.
const SI_USER = 0; // kill(2), raise(3)
const SI_QUEUE = -1; // sigqueue(3)
const SI_MESGQ = -3; // a POSIX message queue's notification: the sender of the message
const SI_TKILL = -6; // tgkill(2)
const SIGUSR1 = 10;

function hasSender(code: number): boolean {
  return code === SI_USER || code === SI_QUEUE || code === SI_MESGQ || code === SI_TKILL;
}

export class SignalCatcher {
  static #instance: SignalCatcher | undefined;

  readonly #native: NativeBinding;
  readonly #name: (signo: number) => string;
  /** Waiters per caught signal, longest waiting first. A signal is caught while it has an entry. */
  readonly #waiters = new Map<number, SignalWaiter[]>();
  /** Deliveries caught while nobody waited, kept until the signal is released. */
  readonly #unclaimed = new Map<number, SignalInfo[]>();

  private constructor(native: NativeBinding, name: (signo: number) => string) {
    this.#native = native;
    this.#name = name;
    native.signalWatch((records) => this.#deliver(records));
    process.on('newListener', (event: string | symbol) => this.#retake(event, true));
    process.on('removeListener', (event: string | symbol) => this.#retake(event, false));
  }

  /** The process's catcher (main thread only: the caller checks). */
  static of(native: NativeBinding, name: (signo: number) => string): SignalCatcher {
    SignalCatcher.#instance ??= new SignalCatcher(native, name);
    return SignalCatcher.#instance;
  }

  /** Adds a waiter; it takes at once a delivery that came while nobody waited. */
  add(waiter: SignalWaiter): void {
    const { signo } = waiter;
    let waiters = this.#waiters.get(signo);
    if (waiters === undefined) {
      this.#native.signalCatch(signo, this.#shouldChain(signo));
      waiters = [];
      this.#waiters.set(signo, waiters);
    }
    const early = this.#unclaimed.get(signo)?.shift();
    if (early === undefined) {
      waiters.push(waiter);
      return;
    }
    if (waiters.length === 0) this.#releaseSoon(signo);
    waiter.take(early);
  }

  /** Removes a waiter that gives up; false when it had taken a delivery already. */
  remove(waiter: SignalWaiter): boolean {
    const waiters = this.#waiters.get(waiter.signo);
    const index = waiters?.indexOf(waiter) ?? -1;
    if (waiters === undefined || index < 0) return false;
    waiters.splice(index, 1);
    if (waiters.length === 0) this.#releaseSoon(waiter.signo);
    return true;
  }

  /** Hands out the deliveries already caught, before a waiter gives up (so that none is lost). */
  drain(): void {
    this.#deliver(this.#native.signalDrain());
  }

  #deliver(records: Int32Array): void {
    for (let at = 0; at + 4 <= records.length; at += 4) {
      const [signo = 0, pid = 0, code = 0, uid = 0] = records.subarray(at, at + 4);
      const waiters = this.#waiters.get(signo);
      if (waiters === undefined) continue; // released meanwhile: nobody catches it any more
      const info: SignalInfo = hasSender(code) && pid > 0
        ? { signal: this.#name(signo), number: signo, pid, uid }
        : { signal: this.#name(signo), number: signo };
      const waiter = waiters.shift();
      if (waiter === undefined) {
        const unclaimed = this.#unclaimed.get(signo) ?? [];
        unclaimed.push(info);
        this.#unclaimed.set(signo, unclaimed);
        continue;
      }
      if (waiters.length === 0) this.#releaseSoon(signo);
      waiter.take(info);
    }
  }

  // The release waits for the current turn of the loop to end, so that a program that waits
  // again as soon as a wait ends (a loop of waitSignal) keeps the signal caught in between.
  #releaseSoon(signo: number): void {
    setImmediate(() => {
      if (this.#waiters.get(signo)?.length !== 0) return;
      this.#native.signalRelease(signo);
      this.#waiters.delete(signo);
      this.#unclaimed.delete(signo);
    }).unref();
  }

  /** After Node started or stopped its own handler for a signal we catch, takes the signal back. */
  #retake(event: string | symbol, isAdded: boolean): void {
    const signo = typeof event === 'string' ? nodeSignalNumber(event) : undefined;
    if (signo === undefined || !this.#waiters.has(signo)) return;
    this.#native.signalCatch(signo, isAdded || this.#shouldChain(signo));
  }

  /** Whether the handler found in place runs after ours: all but Node's debugger trigger (see the top). */
  #shouldChain(signo: number): boolean {
    return signo !== SIGUSR1 || namesOf(signo).some((name) => process.listenerCount(name) > 0);
  }
}
