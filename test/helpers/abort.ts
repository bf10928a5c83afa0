// A signal for tests of { signal }: aborted with a reason of its own once the wait under test is
// parked (a turn of the event loop after the call), so the test can tell that reason apart.
export function abortSoon(): { signal: AbortSignal; reason: Error } {
  const controller = new AbortController();
  const reason = new Error('stop waiting');
  setImmediate(() => controller.abort(reason));
  return { signal: controller.signal, reason };
}
