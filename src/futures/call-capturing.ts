// The task an executor sends when it hands several calls over at once (one pool job, one
// message per batch): it runs one call and returns its outcome, so that a call that throws fails
// its own future only, not the whole batch.

import { resolveTask } from '../tasks/resolve-task.js';
import { type AnyFunction, register, type TaskDescriptor } from '../tasks/task-ref.js';

/** A call's outcome: its value, or what it threw. */
export type CallOutcome = { readonly value: unknown } | { readonly error: unknown };

/** Functions this worker resolved, by descriptor. */
const resolved = new Map<string, Promise<AnyFunction>>();

function functionOf(descriptor: TaskDescriptor): Promise<AnyFunction> {
  const key = descriptor.kind === 'module' ? `${descriptor.module}#${descriptor.name}` : descriptor.source;
  let found = resolved.get(key);
  if (!found) {
    found = resolveTask(descriptor);
    resolved.set(key, found);
  }
  return found;
}

export async function callCapturing(descriptor: TaskDescriptor, args: unknown[]): Promise<CallOutcome> {
  try {
    const fn = await functionOf(descriptor);
    return { value: await fn(...args) };
  } catch (error) {
    return { error };
  }
}

register(import.meta.url, { callCapturing });
