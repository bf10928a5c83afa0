// The client side of the resource tracker (tracker-main.ts). The first process of a tree that
// creates a named segment starts the tracker; its address goes into the environment, so the
// processes and threads started afterwards register with the same tracker. Registrations are
// synchronous writes: once a segment exists, the tracker will hear of it, whatever happens next.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inheritedExecArgv } from '../base/exec-argv.js';
import type { NativeBinding } from '../native/binding.js';

const TRACKER_ADDRESS = 'MULTIPROC_TRACKER';
const ROOT_PID = 'MULTIPROC_ROOT_PID';
const entryExtension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const trackerEntry = fileURLToPath(new URL(`./tracker-main${entryExtension}`, import.meta.url));

let connection: number | null = null;

/** The pid of the process the user started: the tree's root. */
export function rootPid(): string {
  return process.env[ROOT_PID] ?? String(process.pid);
}

/** An abstract socket's address: its name after a NUL byte (an environment variable holds the name alone). */
function abstractAddress(name: string): string {
  return `\0${name}`;
}

function startTracker(native: NativeBinding): string {
  const name = `multiproc-tracker-${rootPid()}-${randomBytes(6).toString('hex')}`;
  const listening = native.unixListen(abstractAddress(name));
  try {
    // Run from TypeScript sources (development), the tracker needs the parent's loader too.
    const nodeOptions = entryExtension === '.ts' ? inheritedExecArgv() : [];
    const tracker = spawn(process.execPath, [...nodeOptions, trackerEntry, rootPid()], {
      stdio: ['ignore', 'ignore', 'inherit', listening],
      detached: true, // its own session: a signal to the tree's process group does not reach it
    });
    tracker.unref();
  } finally {
    native.closeFd(listening); // the tracker holds its own copy (fs.closeSync would warn in a worker thread)
  }
  process.env[TRACKER_ADDRESS] = name; // threads see it at once, children inherit it
  return name;
}

/**
 * True when the socket listening at the other end was made by this user. Abstract addresses have
 * no permissions: once a tracker has gone, another user could take its address and collect the
 * names a late process of the tree registers.
 */
function isOwnUser(native: NativeBinding, fd: number): boolean {
  try {
    return native.peerCredentials(fd).uid === process.geteuid?.();
  } catch {
    return false; // the tracker went away as we connected
  }
}

function connect(native: NativeBinding): number {
  if (connection !== null) return connection;
  const known = process.env[TRACKER_ADDRESS];
  // Only a tracker of this tree: a program that inherited the variable from a multiproc process
  // without being one of its children tracks its own segments.
  if (known?.startsWith(`multiproc-tracker-${rootPid()}-`)) {
    try {
      const fd = native.unixConnect(abstractAddress(known));
      if (isOwnUser(native, fd)) {
        connection = fd;
        return connection;
      }
      native.closeFd(fd);
    } catch {
      // that tracker is gone (its tree ended): start one for this tree
    }
  }
  connection = native.unixConnect(abstractAddress(startTracker(native)));
  return connection;
}

function tell(native: NativeBinding, line: string): void {
  try {
    writeSync(connect(native), line);
  } catch {
    connection = null; // the tracker died; the next registration starts a new one
    writeSync(connect(native), line);
  }
}

/**
 * Makes sure this process tree has a tracker before children start, so they inherit its address
 * rather than each starting their own.
 */
export function ensureTracker(native: NativeBinding): void {
  connect(native);
}

/** Registers a segment this process created: it is unlinked if the tree ends without unlinking it. */
export function trackSegment(native: NativeBinding, name: string): void {
  tell(native, `R ${name}\n`);
}

/** The segment was unlinked on purpose: the tracker forgets it. */
export function untrackSegment(native: NativeBinding, name: string): void {
  tell(native, `U ${name}\n`);
}
