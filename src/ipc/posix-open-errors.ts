// What a failed sem_open or mq_open means, and what to do about it, for the errnos a user can
// meet (a missing object, one that exists already, another user's). The errno facts stay on the
// error (code, syscall, errno); the message gains the advice.

import { errnoCode, withHint } from './system-error.js';

/**
 * The error of opening the POSIX object `name` in `where` ("PosixSemaphore"), with advice;
 * `hints` adds or replaces advice for particular codes (EINVAL of a queue's sizes...).
 */
export function explainOpenError(where: string, noun: 'queue' | 'semaphore', name: string, error: unknown, hints: Readonly<Record<string, string>> = {}): Error {
  const code = errnoCode(error) ?? '';
  const advice: Record<string, string> = {
    ENOENT: `No ${noun} named "${name}" exists; pass { create: true } to create it.`,
    EEXIST: `A ${noun} named "${name}" exists already; open it without { exclusive: true }, or unlink it first.`,
    EACCES: `The ${noun} belongs to another user, or its mode does not allow this access.`,
    ...hints,
  };
  return withHint(where, error, advice[code] ?? `The ${noun} was not opened.`);
}
