// What this thread holds of the objects that live in channels (pipe ends, queues): one count per
// object, so that the last close() here unregisters this thread as a holder, and exit releases
// whatever is left. The last holder of an object frees its shared memory.

interface Holding {
  count: number;
  readonly release: () => void;
}

const holdings = new Map<string, Holding>();
let isExitHooked = false;

/** Counts one more local copy of object `key`; `register` runs for the first, `release` after the last. */
export function hold(key: string, register: () => void, release: () => void): void {
  const known = holdings.get(key);
  if (known) {
    known.count += 1;
    return;
  }
  register();
  holdings.set(key, { count: 1, release });
  if (!isExitHooked) {
    isExitHooked = true;
    process.on('exit', releaseAll);
  }
}

/** One local copy of `key` closed. */
export function letGo(key: string): void {
  const holding = holdings.get(key);
  if (!holding) return;
  holding.count -= 1;
  if (holding.count > 0) return;
  holdings.delete(key);
  holding.release();
}

function releaseAll(): void {
  for (const holding of holdings.values()) holding.release();
  holdings.clear();
}

let inFlight: Array<() => void> | null = null;

/**
 * Records how to give up a copy being sent (see HolderTable.markInFlight), while capturing;
 * false when nothing captures (the copy is then never given up here).
 */
export function noteInFlight(abandon: () => void): boolean {
  inFlight?.push(abandon);
  return inFlight !== null;
}

/**
 * Runs `encode` and returns, with its result, a function that gives up every copy it sent: a
 * Process calls it when its child exits, whether or not the child received them.
 */
export function captureInFlight<T>(encode: () => T): { result: T; abandon: () => void } {
  const outer = inFlight;
  const captured: Array<() => void> = [];
  inFlight = captured;
  try {
    return {
      result: encode(),
      abandon: () => {
        for (const abandon of captured) abandon();
      },
    };
  } finally {
    inFlight = outer;
    outer?.push(...captured);
  }
}
