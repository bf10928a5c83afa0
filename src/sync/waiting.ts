// Waiting on a shared word until another process or thread changes it, without blocking the
// event loop: futexes for native blocks (they cross processes), Atomics for threads-only ones.
// Waits are woken only by a matching wake on the same kind of block.

import { loadNative } from '../native/loader.js';
import type { SharedBlock } from '../shared/arena.js';

export type WaitOutcome = 'ok' | 'not-equal' | 'timed-out';

/** Waits while word `index` of the block equals `expected`, at most `timeoutMs` (undefined: forever). */
export function waitWord(block: SharedBlock, index: number, expected: number, timeoutMs: number | undefined): Promise<WaitOutcome> {
  if (block.isNative) {
    const native = loadNative()!;
    return new Promise((resolve) =>
      native.futexWaitAsync(block.buffer, block.byteOffset + index * 4, expected, timeoutMs ?? -1, resolve),
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
