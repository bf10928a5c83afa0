// Who this process (or worker thread) is, in Python's terms: its name, daemon flag, authkey,
// its parent, and whether it is still importing task modules ("bootstrapping"). The child
// runtime (child/child-bootstrap.ts) fills it in from what the parent sent.

import { randomBytes } from 'node:crypto';
import { InvalidStateError } from '../base/errors.js';

/** What `currentProcess()` and `parentProcess()` tell (Python's `current_process()`). */
export interface ProcessInfo {
  readonly name: string;
  readonly pid: number;
  readonly ppid: number;
  readonly uid: number;
  readonly euid: number;
  readonly gid: number;
  readonly egid: number;
  readonly daemon: boolean;
  /** Shared secret for connections (Listener/Client); children inherit their parent's. */
  readonly authkey: Uint8Array;
}

/** What a parent tells its child about itself and about the child. */
export interface InheritedIdentity {
  readonly name: string;
  readonly daemon: boolean;
  readonly authkey: Uint8Array;
  readonly parent: ProcessInfo;
  /** Prefix for names of this child's own children (Python's `_identity`: "Process-1:2"). */
  readonly identity: readonly number[];
}

const state = {
  isChild: false,
  name: 'MainProcess',
  daemon: false,
  authkey: randomBytes(32) as Uint8Array,
  parent: null as ProcessInfo | null,
  identity: [] as number[],
  childCounter: 0,
  bootstrapDepth: 0,
};

/** Called once by the child runtime before any user module is imported. */
export function adoptIdentity(inherited: InheritedIdentity): void {
  state.isChild = true;
  state.name = inherited.name;
  state.daemon = inherited.daemon;
  state.authkey = Uint8Array.from(inherited.authkey);
  state.parent = inherited.parent;
  state.identity = [...inherited.identity];
}

/** True in every process or thread that multiproc started. */
export function isMultiprocChild(): boolean {
  return state.isChild;
}

function idsOf(): Pick<ProcessInfo, 'uid' | 'euid' | 'gid' | 'egid'> {
  // Windows has no POSIX ids; -1 says "not applicable" there.
  return {
    uid: process.getuid?.() ?? -1,
    euid: process.geteuid?.() ?? -1,
    gid: process.getgid?.() ?? -1,
    egid: process.getegid?.() ?? -1,
  };
}

/** This process (or worker thread) as Python's `current_process()` describes it. */
export function currentProcess(): ProcessInfo {
  return Object.freeze({
    name: state.name,
    pid: process.pid,
    ppid: process.ppid,
    ...idsOf(),
    daemon: state.daemon,
    authkey: Uint8Array.from(state.authkey),
  });
}

/** The process (or thread) that started this one; `null` in the process the user started. */
export function parentProcess(): ProcessInfo | null {
  return state.parent;
}

/** The next child's name and identity ("Process-3", or "Process-1:3" in a child). */
export function nextChildIdentity(prefix: string): { name: string; identity: number[] } {
  state.childCounter += 1;
  const identity = [...state.identity, state.childCounter];
  return { name: `${prefix}-${identity.join(':')}`, identity };
}

export function enterBootstrap(): void {
  state.bootstrapDepth += 1;
}

export function leaveBootstrap(): void {
  state.bootstrapDepth -= 1;
}

/**
 * Refuses to start processes while a child is importing its task module: the module's top level
 * would start them again in every child, forever (Python's "bootstrapping phase" RuntimeError).
 */
export function assertMayStartChildren(where: string): void {
  if (state.bootstrapDepth > 0) {
    throw new InvalidStateError(
      `${where}: an attempt was made to start a new process before the current process finished its ` +
        'bootstrapping phase. This happens when a task module creates a Pool or starts a Process at its top ' +
        'level: every child imports that module again. Guard that code with ' +
        '`if (isMain(import.meta.url)) { ... }` (Python\'s `if __name__ == "__main__":`).',
    );
  }
}
