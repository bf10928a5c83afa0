// How a manager and the clients of its tree wait for each other while calls come and go: the
// thread blocks on the shared-memory word the other side wakes (Channel.waitForRecordSync), so a
// hand-off costs one futex wake-up, where a wait on the event loop costs a waiting thread's
// wake-up and then the event loop's (measured: about 5 µs of CPU per round trip on each side,
// against 36 µs). A blocked thread's event loop stands still, as a Python thread does in a
// proxy call or in the manager's serving loop; so the wait blocks for short slices only, and
// the event loop turns between them (timers, sockets, other promises), until a budget is spent:
// then the caller waits on the event loop as any other wait does.

/** The longest a thread blocks at once. */
export const SLICE_MS = 1;

/**
 * Blocks in slices of SLICE_MS, the event loop turning between them, until `waitSync` (which
 * blocks at most the milliseconds it is given) says what it waits for is there: true then;
 * false once `budgetMs` passed without it.
 */
export async function waitBriefly(waitSync: (timeoutMs: number) => boolean, budgetMs: number): Promise<boolean> {
  const until = performance.now() + budgetMs;
  for (;;) {
    if (waitSync(SLICE_MS)) return true;
    if (performance.now() >= until) return false;
    await new Promise(setImmediate);
  }
}
