// The one interface behind which a child starts: a process (process.ts) or a worker thread
// (thread.ts). Everything else (Process, Pool) talks to a ChildHandle and never to
// child_process or worker_threads, so a new backend is one new file.

import type { Destination } from '../tasks/codec.js';

/**
 * The first message of every child, sent once its entry is loaded and it waits for its init:
 * the parent then knows a warm spare is ready (spares.ts). The parent consumes it; no handler sees it.
 */
export const CHILD_BOOTED = 'multiproc:child-booted';

/** Context names (start methods). */
export type ContextName = 'process' | 'thread';

/** Limits on a child's JavaScript heap (Node's worker ResourceLimits; `--max-old-space-size` for processes). */
export interface ResourceLimits {
  /** Maximum size of the main heap, in MB. */
  maxOldGenerationSizeMb?: number;
  /** Maximum size of the young generation, in MB. */
  maxYoungGenerationSizeMb?: number;
  /** Maximum stack size, in MB (threads only). */
  stackSizeMb?: number;
}

/** How a child is started. `init` is its first message: structured-clonable. */
export interface StartOptions {
  readonly init: unknown;
  readonly resourceLimits?: ResourceLimits;
  /** Take a warm spare child if one is ready, and keep spares for the next starts (Process does;
   * pools reuse their own warm workers instead, and spares booting beside them only compete for CPU). */
  readonly useSpares?: boolean;
}

/** What a child reports to its parent. `exitCode` follows Python: -N when killed by signal N. */
export interface ChildEvents {
  message(message: unknown): void;
  exit(exitCode: number, detail?: string): void;
}

/** A started child, as the parent sees it. */
export interface ChildHandle {
  /** The OS process id (a thread's is its process's). */
  readonly pid: number;
  send(message: unknown): void;
  /** SIGTERM (a thread: stopped; its exit code reads -15). */
  terminate(): void;
  /** SIGKILL (a thread: stopped; its exit code reads -9). */
  kill(): void;
  /** Keep the parent's event loop alive while this child runs (the default). */
  ref(): void;
  /** Let the parent exit while this child runs. */
  unref(): void;
  /** Sends this child's later messages and exit to another owner (a parked pool worker's next pool). */
  rebind(events: ChildEvents): void;
}

export interface Backend {
  readonly name: ContextName;
  /** What the codec must produce for this backend's children. */
  readonly destination: Destination;
  start(options: StartOptions, events: ChildEvents): ChildHandle;
}

/** The child's end of its channel to the parent. */
export interface ParentChannel {
  send(message: unknown): void;
  onMessage(handler: (message: unknown) => void): void;
  /** Called once when the parent is gone (its end closed). */
  onClose(handler: () => void): void;
  /** Stops the channel from keeping this child alive. */
  unref(): void;
  ref(): void;
  close(): void;
}
