// The names of POSIX shared-memory segments, checked in one place: by SharedMemory before it
// opens or creates one, and by the resource tracker before it unlinks one a peer registered.
// A name is one path component under /dev/shm: no "/" inside, never "." or "..".

/** SharedMemory's names: up to 200 letters, digits, ".", "_" or "-", with an optional leading "/". */
const SEGMENT_NAME_PATTERN = /^\/?[A-Za-z0-9._-]{1,200}$/;
const DOT_NAMES = /^\/?\.\.?$/;

/** The chunks of multiproc's own pipes and queues: "mpc-", 16 hex digits, "-" and the chunk's number. */
const CHUNK_NAME_PATTERN = /^mpc-[0-9a-f]{16}-[0-9]{1,10}$/;

/** True for a name SharedMemory accepts (with or without its leading "/"): checked before any open or unlink. */
export function isSegmentName(name: unknown): name is string {
  return typeof name === 'string' && SEGMENT_NAME_PATTERN.test(name) && !DOT_NAMES.test(name);
}

/** True for the name of a pipe or queue chunk (without its leading "/"). */
export function isChunkName(name: string): boolean {
  return CHUNK_NAME_PATTERN.test(name);
}
