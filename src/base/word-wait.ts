// Waiting on a shared 32-bit word until another process or thread changes it, without blocking
// the event loop: futexes for native blocks (they cross processes), Atomics for threads-only
// ones. Waits are woken only by a matching wake on the same kind of block. A pending wait holds
// the event loop open (the native one by its own handle, Atomics.waitAsync through keep-alive).

import { loadNative } from '../native/loader.js';
import { raceAbort, throwIfAborted } from './abort.js';
import { blockingCall } from './blocking-call.js';
import { keepAlive } from './keep-alive.js';

export type WaitOutcome = 'ok' | 'not-equal' | 'timed-out';

/**
 * The longest single wait when a signal may abort a threads-only wait: Atomics.waitAsync cannot be
 * cancelled, so one that outlives an abort must end soon by itself (it holds the event loop).
 * Native waits need no such cap: an abort interrupts their waiting thread at once.
 */
const ABORTABLE_WAIT_MS = 250;

/** What a wait needs of a block of shared words (memory/arena.ts's SharedBlock is one). */
export interface WordBlock {
  readonly buffer: SharedArrayBuffer;
  /** Offset of the first byte (a multiple of 8). */
  readonly byteOffset: number;
  readonly words: Int32Array;
  /** Native blocks are waited on with futexes; local ones with Atomics (threads only). */
  readonly isNative: boolean;
}

/** Waits while word `index` of the block equals `expected`, at most `timeoutMs` (undefined: forever). */
export function waitWord(block: WordBlock, index: number, expected: number, timeoutMs: number | undefined): Promise<WaitOutcome> {
  if (block.isNative) return waitNativeWord(block, index, expected, timeoutMs, undefined);
  const result = Atomics.waitAsync(block.words, index, expected, timeoutMs);
  if (!result.async) return Promise.resolve(result.value as WaitOutcome);
  // Atomics.waitAsync does not keep Node's event loop alive; a pending wait must, as the native one does.
  return keepAlive(result.value as Promise<WaitOutcome>);
}

/**
 * waitWord that rejects with `signal.reason` when the signal aborts first (at once if it already
 * has). With a signal, a threads-only wait lasts at most ABORTABLE_WAIT_MS and may then answer
 * 'timed-out' early: callers wait in a loop that checks their word and their deadline.
 */
export function waitWordAbortable(
  block: WordBlock,
  index: number,
  expected: number,
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
): Promise<WaitOutcome> {
  if (!signal) return waitWord(block, index, expected, timeoutMs);
  throwIfAborted(signal);
  if (block.isNative) return waitNativeWord(block, index, expected, timeoutMs, signal);
  return raceAbort(waitWord(block, index, expected, Math.min(timeoutMs ?? ABORTABLE_WAIT_MS, ABORTABLE_WAIT_MS)), signal);
}

/**
 * A futex wait on a waiting thread of the addon. A failed wait rejects: answering it as a wake-up
 * would make every caller's loop spin. An abort interrupts the waiting thread.
 */
function waitNativeWord(block: WordBlock, index: number, expected: number, timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<WaitOutcome> {
  const native = loadNative()!;
  return blockingCall<WaitOutcome>('futex wait', { signal }, (callback) =>
    native.futexWaitAsync(block.buffer, block.byteOffset + index * 4, expected, timeoutMs ?? -1, callback),
  );
}

/** Blocks this thread while word `index` equals `expected`, at most `timeoutMs` (for waits held only for a moment). */
export function waitWordSync(block: WordBlock, index: number, expected: number, timeoutMs: number): WaitOutcome {
  if (block.isNative) return loadNative()!.futexWait(block.buffer, block.byteOffset + index * 4, expected, timeoutMs);
  return Atomics.wait(block.words, index, expected, timeoutMs);
}

/** Wakes up to `count` waiters of word `index`. */
export function wakeWord(block: WordBlock, index: number, count: number): void {
  if (block.isNative) loadNative()!.futexWake(block.buffer, block.byteOffset + index * 4, count);
  else Atomics.notify(block.words, index, count);
}
