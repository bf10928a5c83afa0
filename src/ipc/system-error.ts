// A failed system call's Error (`mq_open("/jobs") failed: ENOENT (no such file or directory)`)
// with what to do about it added, keeping the errno facts (`code`, `syscall`, `errno`) that
// callers test.

/** The `code` of an error from the addon (EACCES, ENOENT...), or undefined. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `error` restated as "<where>: <its message>. <hint>", with its code, syscall and errno. */
export function withHint(where: string, error: unknown, hint: string): Error {
  if (!(error instanceof Error)) return new Error(`${where}: ${String(error)}. ${hint}`);
  const restated = new Error(`${where}: ${error.message}. ${hint}`, { cause: error });
  for (const key of ['code', 'syscall', 'errno'] as const) {
    const value = (error as NodeJS.ErrnoException)[key];
    if (value !== undefined) Object.defineProperty(restated, key, { value, enumerable: true, configurable: true, writable: true });
  }
  return restated;
}
