// The caller's reader of a BullMQ queue's events stream (`<prefix>:<queue>:events`, where BullMQ's
// scripts add an entry per job event). Read here rather than through BullMQ's QueueEvents, on a
// connection multiproc owns (remote/redis-link.ts), so that an idle Pool can let its program
// exit, an outage is seen, and the entries of other callers' jobs are skipped without parsing.

import type { Redis as RedisClient } from 'ioredis';

/** One entry of the stream: BullMQ's fields, as strings (`event`, `jobId`, `returnvalue`, ...). */
export type JobEvent = Readonly<Record<string, string>>;

/** How long one XREAD blocks before it is sent again (an outage is noticed by the link, not here). */
const BLOCK_MS = 10_000;
/** Entries read per XREAD at most. */
const BATCH = 1_000;

export class JobEventReader {
  readonly #client: RedisClient;
  readonly #key: string;
  #lastId: string;
  #isStopped = false;

  /** Reads entries after `fromId` and passes each to `onEvent`, until stop(). */
  constructor(client: RedisClient, key: string, fromId: string, onEvent: (event: JobEvent) => void) {
    this.#client = client;
    this.#key = key;
    this.#lastId = fromId;
    void this.#run(onEvent);
  }

  /** Stops reading; the client's owner closes the client, which ends the blocked read. */
  stop(): void {
    this.#isStopped = true;
  }

  async #run(onEvent: (event: JobEvent) => void): Promise<void> {
    while (!this.#isStopped) {
      let reply: [string, [string, string[]][]][] | null;
      try {
        reply = await this.#client.xread('COUNT', BATCH, 'BLOCK', BLOCK_MS, 'STREAMS', this.#key, this.#lastId);
      } catch {
        // Closed (stop), or an error reply: a lost connection is not one (ioredis resends the
        // command over its next connection), so this is rare; tried again a second later.
        if (this.#client.status === 'end') return;
        await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
        continue;
      }
      for (const [id, fields] of reply?.[0]?.[1] ?? []) {
        this.#lastId = id;
        if (!this.#isStopped) onEvent(fieldsOf(fields));
      }
    }
  }
}

function fieldsOf(flat: string[]): JobEvent {
  // No prototype: a field named __proto__ (anyone who can write to the Redis can add entries) stays data.
  const event: Record<string, string> = Object.create(null);
  for (let at = 0; at + 1 < flat.length; at += 2) event[flat[at]!] = flat[at + 1]!;
  return event;
}
