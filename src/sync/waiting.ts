// Waiting on a shared word until another process or thread changes it, without blocking the
// event loop: futexes for native blocks (they cross processes), Atomics for threads-only ones.
// Waits are woken only by a matching wake on the same kind of block.

import { loadNative } from '../native/loader.js';
import type { SharedBlock } from '../memory/arena.js';

export type WaitOutcome = 'ok' | 'not-equal' | 'timed-out';

/** How often a lock's waiter checks that the holder is still alive. */
const LIVENESS_CHECK_MS = 250;

/** Waits while word `index` of the block equals `expected`, at most `timeoutMs` (undefined: forever). */
export function waitWord(block: SharedBlock, index: number, expected: number, timeoutMs: number | undefined): Promise<WaitOutcome> {
  if (block.isNative) {
    const native = loadNative()!;
    // A failed wait rejects: answering it as a wake-up would make every caller's loop spin.
    return new Promise((resolve, reject) =>
      native.futexWaitAsync(block.buffer, block.byteOffset + index * 4, expected, timeoutMs ?? -1, (outcome) =>
        typeof outcome === 'string' ? resolve(outcome) : reject(outcome),
      ),
    );
  }
  const result = Atomics.waitAsync(block.words, index, expected, timeoutMs);
  if (!result.async) return Promise.resolve(result.value as WaitOutcome);
  // Atomics.waitAsync does not keep Node's event loop alive; a pending wait must, as the native one does.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  return (result.value as Promise<WaitOutcome>).finally(() => clearInterval(keepAlive));
}

/** Wakes up to `count` waiters of word `index`. */
export function wakeWord(block: SharedBlock, index: number, count: number): void {
  if (block.isNative) loadNative()!.futexWake(block.buffer, block.byteOffset + index * 4, count);
  else Atomics.notify(block.words, index, count);
}

/** True while a process exists (the holder of a lock, say). */
export function isProcessAlive(pid: number): boolean {
  const native = loadNative();
  if (native) return native.isProcessAlive(pid);
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Waits until a lock word (the holder's pid, 0 when free) can be taken: when it is free, or
 * when its holder has died and can never release it. `take(from)` tries to take it from holder
 * `from`; waiters are counted at `waitersIndex` so a release knows whether to wake anyone.
 * Resolves false when `deadline` (performance.now() time) passes first.
 */
export async function waitToTake(
  block: SharedBlock,
  holderIndex: number,
  waitersIndex: number,
  take: (from: number) => boolean,
  deadline: number,
): Promise<boolean> {
  const words = block.words;
  Atomics.add(words, waitersIndex, 1);
  try {
    for (;;) {
      const holder = Atomics.load(words, holderIndex);
      if (holder === 0 || !isProcessAlive(holder)) {
        if (take(holder)) return true;
        continue;
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) return false;
      await waitWord(block, holderIndex, holder, Math.min(remaining, LIVENESS_CHECK_MS));
    }
  } finally {
    Atomics.sub(words, waitersIndex, 1);
  }
}
