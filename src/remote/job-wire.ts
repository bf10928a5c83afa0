// The redis context's wire format, shared by the caller (pool/redis-scheduler.ts) and the worker
// (worker/redis-worker.ts). Design, in one place:
//
//   caller Pool ──addBulk──▶ BullMQ queue "multiproc:<queue>" ──▶ multiproc worker ──▶ local Pool
//       ▲                                                               │
//       └──────── the queue's events stream: active / progress / completed / failed ◀┘
//
// - A job is one pool task: an apply call or a chunk of a map's items (map chooses the chunks, as
//   the local pool does, so 100,000 tiny items travel as a few hundred jobs). Its data is JSON
//   (BullMQ's own format) holding only strings and numbers: the multiproc version, the task
//   reference (module + name, never source text), the mode (call / map chunk / starmap chunk),
//   the optional taskTimeout, `attempts`, and the payload: the arguments encoded by the same codec
//   as local tasks (tasks/codec.ts, destination 'peer': errors become records, handles and
//   functions are refused at the call) then v8-serialized and base64'd. Map, Set, bigint, Date,
//   typed arrays and errors survive; values are never JSON.
// - The job's return value is one base64 string of the same kind: [1, value] or [0, error record].
//   A task's own error is a *completed* job carrying the error, so BullMQ never retries it; only a
//   lost worker causes a rerun.
// - Job ids are `<caller id>-<task id>`: results are matched to tasks by id, the first result of a
//   task settles it and later ones (a rerun of a task whose first run finished late) are dropped,
//   so every result is delivered exactly once; the pool's jobs put them in input order.
// - A worker killed mid-task stops renewing its job's lock; another worker's stalled check
//   (every STALLED_INTERVAL_MS) moves the job back to the queue once the lock expires
//   (LOCK_DURATION_MS): measured about 5 s with 4 s / 1 s, against 87 s with BullMQ's defaults.
//   Each such loss increments the job's stalledCounter; a worker that picks a job already lost
//   `attempts` times answers WorkerLostError instead of running it again (a poison task).
// - The caller owns its two Redis connections (remote/redis-link.ts), reads the events stream
//   itself (remote/job-events.ts) from its newest entry at connect time, and looks up its oldest
//   jobs when no result has come for a while: a job gone from Redis without a result (its event
//   trimmed from the stream, or Redis emptied) is added again. Redis unreachable at the first
//   attempt fails the tasks at once; an outage later fails them after stallTimeout, or after 30 s.
// - A worker refuses a job of another multiproc version with an InvalidStateError naming both.
// - A task's module travels in one of three forms (SPEC §2, §14), chosen by the caller:
//   1. in an installed package (its real path has `node_modules/<name>/` or
//      `node_modules/@scope/<name>/`, npm's or pnpm's layout): `package` is the name and `module`
//      the path inside it; the worker finds the package as Node would from its --root (the
//      node_modules folders of the root and its parents), so each machine uses its own install;
//   2. else, with the Pool's `root`: `module` is the path under it (isRelative), found under the
//      worker's --root;
//   3. else its `file:` URL, which the worker accepts only under its --root.
// - What a worker receives is data: the payload is decoded as coming from a peer (a handle
//   record is refused), and the task reference resolves only to a function its module
//   register()ed (SPEC §14), in a file under the worker's root, or in a package's real folder
//   (a name by npm's rules; a path without "..", "." or node_modules; no symlink out of it).

import { readFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { decodeValue, type Encoded, encodeValue } from '../tasks/codec.js';

/** How long a worker's lock on a job lasts without renewal (BullMQ's default is 30 s). */
export const LOCK_DURATION_MS = 4_000;
/** How often workers look for jobs whose lock expired (BullMQ's default is 30 s). */
export const STALLED_INTERVAL_MS = 1_000;
/** How often a worker reports that a job still runs (the caller's stallTimeout counts from these). */
export const HEARTBEAT_MS = 2_000;
/** Prefix of the Redis keys of multiproc's BullMQ queues (BullMQ's own is 'bull'), so they do not mix with an application's. */
export const KEY_PREFIX = 'multiproc';

/** The version both sides must share: read once from the package's own package.json. */
export const MULTIPROC_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The data of one BullMQ job. */
export interface JobData {
  /** multiproc's version on the caller. */
  readonly v: string;
  /** The task module: a `file:` URL, a path relative to the root both sides configure, or a path inside `package`. */
  readonly module: string;
  /** `module` is a relative path (under the root, or inside `package`). */
  readonly isRelative: boolean;
  /** The installed package that holds `module` (npm name, `@scope/name` included). */
  readonly package?: string;
  readonly name: string;
  /** TaskMode: 0 call, 1 map chunk, 2 starmap chunk. */
  readonly mode: number;
  /** base64 of v8.serialize([hasHandles, value]). */
  readonly payload: string;
  readonly attempts: number;
  readonly taskTimeoutMs?: number;
}

/** Turns an encoded value (codec, destination 'peer') into the string that travels. */
export function packEncoded(encoded: Encoded): string {
  return serialize([encoded.hasHandles ? 1 : 0, encoded.value]).toString('base64');
}

/** Reads a string made by packEncoded, as data from a peer: a handle record is refused. */
export function unpackEncoded(packed: unknown, where: string): unknown {
  if (typeof packed !== 'string') throw new TypeError(`${where}: expected a base64 string, received ${typeof packed}`);
  const pair = deserialize(Buffer.from(packed, 'base64')) as unknown;
  if (!Array.isArray(pair) || pair.length !== 2 || (pair[0] !== 0 && pair[0] !== 1)) {
    throw new TypeError(`${where}: not a value encoded by multiproc ${MULTIPROC_VERSION}`);
  }
  return decodeValue(pair[1], pair[0] === 1, 'peer', where);
}

/** A task's outcome as a job's return value: [1, value] or [0, error]. */
export function packOutcome(isOk: boolean, value: unknown, where: string): string {
  return packEncoded(encodeValue([isOk ? 1 : 0, value], where, 'peer'));
}

export type RemoteOutcome = { readonly isOk: true; readonly value: unknown } | { readonly isOk: false; readonly error: unknown };

export function unpackOutcome(packed: unknown, where: string): RemoteOutcome {
  const pair = unpackEncoded(packed, where);
  if (!Array.isArray(pair) || pair.length !== 2 || (pair[0] !== 0 && pair[0] !== 1)) {
    throw new TypeError(`${where}: not a task outcome encoded by multiproc ${MULTIPROC_VERSION}`);
  }
  return pair[0] === 1 ? { isOk: true, value: pair[1] } : { isOk: false, error: pair[1] };
}
