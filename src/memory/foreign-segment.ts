// Mapping a segment of the arena (arena.ts) that another process or thread sent: its memfd,
// reached through /proc/<pid>/fd/<fd> of the sender. A record is data from another process,
// trusted by no one here: the descriptor must lead to one of multiproc's own memfd segments,
// sealed against shrinking (so no page can be cut off under a mapping: no SIGBUS) and as large
// as the record claims. Every check is made on the descriptor actually opened.

import { closeSync, constants, openSync, readlinkSync } from 'node:fs';
import { startTimeOf } from '../base/proc-stat.js';
import type { NativeBinding } from '../native/binding.js';

/** The name arena segments are created with (memfd_create), seen as their /proc link. */
export const SEGMENT_NAME = 'multiproc-shared';
const SEGMENT_LINK = `/memfd:${SEGMENT_NAME} (deleted)`;
const F_SEAL_SHRINK = 0x2;

/** Why a record was refused; the caller names the object and wraps it in an InvalidStateError. */
export class RefusedSegment extends Error {}

/** Segments mapped here, by "<pid>:<start time>:<fd>" of the process they came through. */
const attached = new Map<string, SharedArrayBuffer>();
/** This process's descriptor of each segment it maps, so it can send the segment on in turn. */
const fdOfBuffer = new WeakMap<SharedArrayBuffer, number>();

let ownStartTime: string | null = null;

function keyOf(pid: number, startTime: string, fd: number): string {
  return `${pid}:${startTime}:${fd}`;
}

/** Notes a segment this process created (its descriptor stays open: others map it through it). */
export function noteOwnSegment(buffer: SharedArrayBuffer, fd: number): void {
  ownStartTime ??= startTimeOf(process.pid) ?? 'self';
  fdOfBuffer.set(buffer, fd);
  attached.set(keyOf(process.pid, ownStartTime, fd), buffer);
}

/** This process's descriptor of a segment it created or mapped. */
export function descriptorOf(buffer: SharedArrayBuffer): number | undefined {
  return fdOfBuffer.get(buffer);
}

function linkOf(path: string): string {
  try {
    return readlinkSync(path);
  } catch (error) {
    throw new RefusedSegment(`${path} cannot be read (${(error as { code?: string }).code ?? String(error)}); is process still alive, and one of this tree?`);
  }
}

/**
 * The segment behind descriptor `fd` of process `pid`, mapped here for at least `bytes` bytes.
 * Throws RefusedSegment when it is anything else (a file, a socket, another program's memfd,
 * a segment smaller than claimed, a process that is gone).
 */
export function mapSegmentOf(native: NativeBinding, pid: number, fd: number, bytes: number): SharedArrayBuffer {
  const startTime = startTimeOf(pid);
  if (startTime === null) throw new RefusedSegment(`process ${pid}, which sent it, is gone`);
  const key = keyOf(pid, startTime, fd);
  const known = attached.get(key);
  if (known) {
    if (known.byteLength < bytes) throw new RefusedSegment(`it claims ${bytes} bytes of a segment of ${known.byteLength}`);
    return known;
  }
  const path = `/proc/${pid}/fd/${fd}`;
  // Opening some files does something (a device, a FIFO): look at the link before opening, and
  // check again, race-free, on the descriptor opened.
  const target = linkOf(path);
  if (target !== SEGMENT_LINK) throw new RefusedSegment(`descriptor ${fd} of process ${pid} is ${JSON.stringify(target)}, not a multiproc shared-memory segment`);
  let ours: number;
  try {
    ours = openSync(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  } catch (error) {
    throw new RefusedSegment(`${path} cannot be opened (${(error as { code?: string }).code ?? String(error)})`);
  }
  try {
    checkOpened(native, ours, bytes);
    // The same process throughout: a pid that died and was reused meanwhile has another start time.
    if (startTimeOf(pid) !== startTime) throw new RefusedSegment(`process ${pid} ended while its segment was being opened`);
    const buffer = native.mapShared(ours, bytes);
    // The descriptor stays open, one per segment (a segment holds many objects): a memfd has no
    // name, so once it is closed here, a grandchild this object is sent on to could reach the
    // memory only through its creator, which may have exited by then (/proc/<pid>/map_files
    // needs CAP_SYS_ADMIN; pidfd_getfd needs ptrace rights).
    fdOfBuffer.set(buffer, ours);
    attached.set(key, buffer);
    return buffer;
  } catch (error) {
    closeSync(ours);
    throw error;
  }
}

function checkOpened(native: NativeBinding, fd: number, bytes: number): void {
  const target = linkOf(`/proc/self/fd/${fd}`);
  if (target !== SEGMENT_LINK) throw new RefusedSegment(`it leads to ${JSON.stringify(target)}, not a multiproc shared-memory segment`);
  // Only a memfd made with sealing allowed can carry F_SEAL_SHRINK; multiproc seals each of its own.
  const seals = native.sealsOf(fd);
  if (seals < 0 || (seals & F_SEAL_SHRINK) === 0) throw new RefusedSegment('its segment is not sealed against shrinking, so it is not one multiproc made');
  const size = native.sizeOf(fd);
  if (size < bytes) throw new RefusedSegment(`it claims ${bytes} bytes of a segment of ${size}`);
}
