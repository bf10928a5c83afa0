// The names of POSIX shared-memory segments, checked in one place: by SharedMemory before it
// opens or creates one, by pipes and queues for their channels' chunks, and by the resource
// tracker before it unlinks one a peer registered.
// A name is one path component under /dev/shm: no "/" inside, never "." or "..".

/** SharedMemory's names: up to 200 letters, digits, ".", "_" or "-", with an optional leading "/". */
const SEGMENT_NAME_PATTERN = /^\/?[A-Za-z0-9._-]{1,200}$/;
const DOT_NAMES = /^\/?\.\.?$/;

/** A pipe's or queue's channel: "mpc-" and 16 hex digits; its chunks add "-" and their number. */
const CHANNEL_NAME = 'mpc-[0-9a-f]{16}';
const CHANNEL_NAME_PATTERN = new RegExp(`^${CHANNEL_NAME}$`);
const CHUNK_NAME_PATTERN = new RegExp(`^${CHANNEL_NAME}-[0-9]{1,10}$`);

/** True for a name SharedMemory accepts (with or without its leading "/"): checked before any open or unlink. */
export function isSegmentName(name: unknown): name is string {
  return typeof name === 'string' && SEGMENT_NAME_PATTERN.test(name) && !DOT_NAMES.test(name);
}

/** True for a channel name newChannelName could have made: only such names are opened or unlinked when they arrive in a record. */
export function isChannelName(name: unknown): name is string {
  return typeof name === 'string' && CHANNEL_NAME_PATTERN.test(name);
}

/** True for the name of a pipe or queue chunk (without its leading "/"). */
export function isChunkName(name: string): boolean {
  return CHUNK_NAME_PATTERN.test(name);
}
