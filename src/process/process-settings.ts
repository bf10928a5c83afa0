// A Process's options, checked at the public edge, and what a Process object holds: from its
// options in the parent, or from the parent's start record when the child rebuilds it.

import type { ContextName } from '../backends/backend.js';
import { checkContextName, getStartMethod, type StartMethod } from '../backends/start-method.js';
import { checkAuthkey } from '../base/authkey.js';
import { checkOptionsObject, invalidType } from '../base/validate.js';
import { type AnyClass, type AnyFunction, describeTask, type Task, type TaskDescriptor } from '../tasks/task-ref.js';
import { currentProcess, nextChildIdentity } from '../base/identity.js';

export interface ProcessOptions<A extends unknown[] = unknown[]> {
  /**
   * The function run() calls in the child: registered, a taskRef, or self-contained (inline).
   * Without one, run() does nothing unless a subclass overrides it. @default undefined
   */
  target?: Task<(...args: A) => unknown>;
  /** Arguments for `target`. @default [] */
  args?: A;
  /** @default "Process-N" ("Thread-N" in the thread context; a subclass's own name, "Worker-N", as in Python) */
  name?: string;
  /** A daemon child is terminated when its parent exits, and does not keep the parent alive. @default false */
  daemon?: boolean;
  /**
   * The child's `currentProcess().authkey` (a string is taken as its UTF-8 bytes).
   * @default currentProcess().authkey (children inherit their parent's, as in Python)
   */
  authkey?: string | Uint8Array;
  /** 'process' or 'thread' ('spawn' and 'forkserver' mean 'process'). @default getStartMethod() */
  context?: StartMethod;
}

/** What a Process object holds, from its options in the parent or from the parent's record in the child. */
export interface ProcessSettings {
  readonly context: ContextName;
  /** What run() calls: the target as given (parent) or resolved (child). */
  readonly target: Task | undefined;
  /** The target's wire form; null in the child, which never sends it on. */
  readonly targetDescriptor: TaskDescriptor | null;
  readonly args: unknown[];
  readonly name: string;
  readonly identity: number[];
  readonly daemon: boolean;
  readonly authkey: Uint8Array;
}

/** What the child knows of the Process object it runs (see processInChild). */
export interface ProcessInChildSettings {
  readonly context: ContextName;
  readonly target: AnyFunction | undefined;
  readonly args: unknown[];
  readonly name: string;
  readonly identity: readonly number[];
  readonly daemon: boolean;
  readonly authkey: Uint8Array;
}

/** The constructor's argument when the child rebuilds its Process object: no user can make one. */
export class InChild {
  constructor(readonly settings: ProcessSettings) {}
}

export function checkProcessOptions(options: ProcessOptions, newTarget: AnyClass): ProcessSettings {
  checkOptionsObject('Process: "options"', options);
  const given = options ?? {};
  const context = checkContextName('Process: "context"', given.context ?? getStartMethod());
  const target = given.target ?? undefined;
  const targetDescriptor = target === undefined ? null : describeTask('Process: "target"', target as AnyFunction);
  if (given.args != null && !Array.isArray(given.args)) throw invalidType('Process: "args"', 'an array of arguments', given.args);
  const daemon = given.daemon ?? false;
  if (typeof daemon !== 'boolean') throw invalidType('Process: "daemon"', 'a boolean', given.daemon);
  const authkey = given.authkey == null ? currentProcess().authkey : checkAuthkey('Process: "authkey"', given.authkey);
  const assigned = nextChildIdentity(defaultNamePrefix(newTarget, context));
  const name = given.name == null ? assigned.name : checkName(given.name);
  return { context, target, targetDescriptor, args: given.args ?? [], name, identity: assigned.identity, daemon, authkey };
}

/** As Python names a child after its class ("Worker-1"); "Process-N" / "Thread-N" for the base classes. */
function defaultNamePrefix(Class: AnyClass, context: ContextName): string {
  const name = Class.name;
  if (name && name !== 'Process' && name !== 'Thread') return name;
  return context === 'thread' ? 'Thread' : 'Process';
}

export function checkName(name: unknown): string {
  if (typeof name !== 'string') throw invalidType('Process: "name"', 'a string', name);
  return name;
}
