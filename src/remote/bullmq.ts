// BullMQ, the optional peer dependency behind the redis context: loaded by a dynamic import()
// only when that context is used, so the core package keeps no runtime dependency. Its absence
// is detected at once (a synchronous resolve) and explained with the command that fixes it.

import { createRequire } from 'node:module';

export type Bullmq = typeof import('bullmq');

/** BullMQ, and the ioredis it runs on (multiproc creates the clients it hands to BullMQ). */
export interface RedisDriver {
  readonly bullmq: Bullmq;
  readonly Redis: typeof import('ioredis').Redis;
}

const MISSING_HINT = 'The redis context runs on BullMQ, an optional peer dependency of multiproc: npm install bullmq';

function missing(where: string, cause: unknown): Error {
  const error = new Error(`${where}: the package "bullmq" could not be loaded. ${MISSING_HINT}`, { cause });
  Object.defineProperty(error, 'code', { value: 'ERR_MODULE_NOT_FOUND', enumerable: true });
  return error;
}

/** Throws the "npm install bullmq" error when bullmq cannot be resolved from multiproc. */
export function assertBullmqInstalled(where: string): void {
  try {
    createRequire(import.meta.url).resolve('bullmq');
  } catch (error) {
    throw missing(where, error);
  }
}

let loading: Promise<Bullmq> | undefined;

export function loadBullmq(where: string): Promise<Bullmq> {
  loading ??= import('bullmq').catch((error: unknown) => {
    loading = undefined;
    throw missing(where, error);
  });
  return loading;
}

/** BullMQ and its ioredis, resolved from BullMQ's own location, where a strict layout (pnpm) puts it. */
export async function loadRedisDriver(where: string): Promise<RedisDriver> {
  const bullmq = await loadBullmq(where);
  const fromBullmq = createRequire(createRequire(import.meta.url).resolve('bullmq'));
  const ioredis = fromBullmq('ioredis') as typeof import('ioredis');
  return { bullmq, Redis: ioredis.Redis };
}
