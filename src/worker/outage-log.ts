// A worker is a daemon: when Redis is away it says so once, not once per reconnection attempt
// (ioredis retries each of BullMQ's connections every one to twenty seconds, for ever), and it
// says when Redis answers again. Between the two lines it keeps trying and serves again as soon
// as it can: jobs it was running are given back by BullMQ if their locks expired meanwhile.

import { describeFailure } from '../remote/redis-failure.js';
import { describeUrl } from '../remote/redis-options.js';
import type { WorkerLog } from './worker-log.js';

export class OutageLog {
  readonly #url: string;
  readonly #log: WorkerLog;
  #sinceMs: number | undefined;
  #failedAttempts = 0;

  constructor(url: string, log: WorkerLog) {
    this.#url = url;
    this.#log = log;
  }

  /** True between a connection failure and the next successful connection. */
  get isOut(): boolean {
    return this.#sinceMs !== undefined;
  }

  /** A connection attempt failed: the first of an outage prints one line, the others nothing. */
  failed(error: unknown): void {
    this.#failedAttempts += 1;
    if (this.#sinceMs !== undefined) return;
    this.#sinceMs = Date.now();
    this.#log.event('unreachable', {
      url: describeUrl(this.#url),
      cause: describeFailure(error),
      message: 'cannot reach Redis; retrying until it answers (no more lines until then)',
    });
  }

  /** A connection became ready: ends the outage, if there was one, with one line. */
  connected(): void {
    if (this.#sinceMs === undefined) return;
    const seconds = ((Date.now() - this.#sinceMs) / 1000).toFixed(1);
    this.#log.event('connected', {
      url: describeUrl(this.#url),
      message: `Redis answers again after ${seconds} s and ${this.#failedAttempts} failed attempts; serving`,
    });
    this.#sinceMs = undefined;
    this.#failedAttempts = 0;
  }
}
