// The options of the redis context (SPEC §12), checked at the public edge, and how a Redis URL is
// shown in messages (never with its password). Shared by the caller's Pool and the worker command.

import { realpathSync } from 'node:fs';
import { checkInteger, checkOptionsObject, checkTimeout, invalidType, invalidValue } from '../base/validate.js';

/** What `new Pool({ context: 'redis', ... })` and `getContext('redis', { ... })` take. */
export interface RedisOptions {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
  url: string;
  /**
   * Task modules outside installed packages are named relative to this directory; each worker's
   * `--root` is its counterpart. A module inside a package (under `node_modules/<name>`) is always
   * named by the package's name and its path inside it, which each worker finds from its `--root`.
   * @default absolute file URLs
   */
  root?: string;
  /** The queue's name, to share one Redis among several pools and worker groups. @default 'default' */
  queue?: string;
  /** A task whose worker was lost this many times fails with WorkerLostError. @default 3 */
  attempts?: number;
  /** No task taken or finished, and no running task reported, for this long (ms): pending work rejects with TimeoutError. @default wait forever */
  stallTimeout?: number | null;
}

export interface CheckedRedisOptions {
  readonly url: string;
  readonly root: string | undefined;
  readonly queue: string;
  readonly attempts: number;
  readonly stallTimeoutMs: number | undefined;
}

export const DEFAULT_QUEUE = 'default';
export const DEFAULT_ATTEMPTS = 3;
const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** The URL as it may be printed: the password replaced by `***`. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return '(an invalid URL)';
  }
}

export function checkRedisUrl(where: string, url: unknown): string {
  if (typeof url !== 'string') throw invalidType(where, 'a Redis URL string (redis://host:6379)', url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidValue(where, 'a Redis URL such as redis://host:6379 or rediss://user:password@host:6380', describeUrl(url));
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw invalidValue(where, 'a redis:// or rediss:// URL', describeUrl(url));
  }
  // The URL as parsed here, not as typed: ioredis turns on TLS only for a URL starting with the
  // exact bytes "rediss://", so "REDISS://" or " rediss://" would silently connect in plain text.
  return parsed.href;
}

export function checkQueueName(where: string, queue: unknown): string {
  if (queue == null) return DEFAULT_QUEUE;
  if (typeof queue !== 'string') throw invalidType(where, 'a queue name string', queue);
  if (!QUEUE_NAME.test(queue)) throw invalidValue(where, 'a name of 1 to 100 letters, digits, "_", "." or "-"', queue);
  return queue;
}

export function checkRoot(where: string, root: unknown): string | undefined {
  if (root == null) return undefined;
  if (typeof root !== 'string' || root === '') throw invalidType(where, 'a directory path', root);
  try {
    return realpathSync(root);
  } catch {
    throw invalidValue(where, 'an existing directory', root);
  }
}

export function checkRedisOptions(where: string, options: RedisOptions): CheckedRedisOptions {
  checkOptionsObject(`${where}: "options"`, options);
  return {
    url: checkRedisUrl(`${where}: "url"`, options.url),
    root: checkRoot(`${where}: "root"`, options.root),
    queue: checkQueueName(`${where}: "queue"`, options.queue),
    attempts: options.attempts == null ? DEFAULT_ATTEMPTS : checkInteger(`${where}: "attempts"`, options.attempts, 1),
    stallTimeoutMs: checkTimeout(`${where}: "stallTimeout"`, options.stallTimeout),
  };
}
