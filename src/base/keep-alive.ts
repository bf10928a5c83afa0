// Node exits when nothing keeps its event loop busy, even while a Promise is pending. A program
// whose last act is `await p.join()` (or any other wait of this API) must not exit before the
// wait settles, so every awaited wait holds the loop open while it is pending; idle objects
// (a lock nobody waits for, a pool with no work) hold nothing. One ref'd timer serves all
// pending waits of a thread.

let pending = 0;
/** Made once, then ref'd while a wait is pending and unref'd between: a wait that comes and goes per message costs no timer. */
let timer: NodeJS.Timeout | undefined;

/** Holds the event loop open until the returned release() is called (once; later calls do nothing). */
export function holdEventLoop(): () => void {
  pending += 1;
  if (pending === 1) {
    timer ??= setInterval(() => {}, 2 ** 30);
    timer.ref();
  }
  let isReleased = false;
  return () => {
    if (isReleased) return;
    isReleased = true;
    pending -= 1;
    if (pending === 0) timer?.unref();
  };
}

/** Holds the event loop open until `promise` settles, and returns it. */
export function keepAlive<T>(promise: Promise<T>): Promise<T> {
  const release = holdEventLoop();
  return promise.finally(release);
}

/** Runs an async wait with the event loop held open for its whole duration. */
export async function whileKeptAlive<T>(wait: () => Promise<T>): Promise<T> {
  const release = holdEventLoop();
  try {
    return await wait();
  } finally {
    release();
  }
}
