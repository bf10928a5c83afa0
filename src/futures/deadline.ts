// A deadline for waits that give up after a timeout: a promise that resolves when it passes
// (never, without a timeout), and a way to stop its timer once the wait is over.

export interface Deadline {
  readonly expired: Promise<void>;
  stop(): void;
}

export function deadlineAfter(ms: number | undefined): Deadline {
  if (ms === undefined) return { expired: new Promise(() => {}), stop: () => {} };
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { expired, stop: () => clearTimeout(timer) };
}
