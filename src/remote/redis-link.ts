// One connection to the redis context's Redis, owned by multiproc and handed to BullMQ as its
// client, so that multiproc can tell what BullMQ alone would hide:
// - a server that cannot be reached at the first attempt, or that refuses the credentials, is an
//   error for the caller now (ioredis alone would retry for ever, and the tasks would wait);
// - a server lost later is an outage with a start time and a cause, which the caller's watch
//   turns into an error once it lasts too long (a restart of a few seconds is ridden out);
// - an idle Pool does not keep its program alive: its socket and reconnect timer are unref'd,
//   as an idle local Pool's workers are, and ref'd again when tasks are pending.

import type { Redis as RedisClient, RedisOptions as ClientOptions } from 'ioredis';
import type { RedisDriver } from './bullmq.js';
import { redisFailureKind } from './redis-failure.js';

/** Delay before reconnect attempt `times` (1, 2, ...): soon at first, then every 2 s. */
function reconnectDelayMs(times: number): number {
  return Math.min(250 * times, 2_000);
}

/** Sockets that already drop their later errors (see RedisLink.#absorbLaterErrors). */
const absorbing = new WeakSet<object>();

export interface Outage {
  readonly sinceMs: number;
  readonly cause: Error | undefined;
}

export interface RedisLinkEvents {
  /** The server refused the credentials or the certificate (at any time), or could not be reached at the first attempt. */
  onFailure(error: Error): void;
}

export class RedisLink {
  readonly client: RedisClient;
  #hasBeenReady = false;
  #downSinceMs: number | undefined;
  #lastError: Error | undefined;
  #isHoldingLoop = true;

  constructor(driver: RedisDriver, url: string, events: RedisLinkEvents) {
    const options: ClientOptions = {
      // BullMQ requires it of blocking connections: a command waits for a reconnect, not fails.
      maxRetriesPerRequest: null,
      retryStrategy: reconnectDelayMs,
    };
    this.client = new driver.Redis(url, options);
    this.client.on('error', (error: Error) => {
      this.#lastError = error;
      this.#absorbLaterErrors();
      // After this emit: BullMQ listens to the client too, and reacting (closing) within it
      // would leave BullMQ emitting to listeners already removed.
      const kind = redisFailureKind(error);
      const isRefusal = kind === 'credentials' || kind === 'certificate';
      if (isRefusal || !this.#hasBeenReady) queueMicrotask(() => events.onFailure(error));
    });
    this.client.on('ready', () => {
      this.#hasBeenReady = true;
      this.#downSinceMs = undefined;
      this.#applyHold();
    });
    this.client.on('close', () => {
      this.#downSinceMs ??= Date.now();
    });
    this.client.on('connect', () => this.#applyHold());
    this.client.on('reconnecting', () => this.#applyHold());
  }

  /** Since when Redis has been unreachable, and why; undefined while connected. */
  outage(): Outage | undefined {
    if (this.#downSinceMs === undefined) return undefined;
    return { sinceMs: this.#downSinceMs, cause: this.#lastError };
  }

  /** Whether this connection keeps the program alive: yes while tasks are pending, no when idle. */
  holdEventLoop(isHolding: boolean): void {
    if (this.#isHoldingLoop === isHolding) return;
    this.#isHoldingLoop = isHolding;
    this.#applyHold();
  }

  #applyHold(): void {
    // ioredis offers no unref(): its socket and its reconnect timer are what keep the loop alive.
    const { stream, reconnectTimeout } = this.client as unknown as {
      stream?: { ref(): void; unref(): void };
      reconnectTimeout?: { ref(): void; unref(): void } | null;
    };
    for (const handle of [stream, reconnectTimeout]) {
      if (!handle) continue;
      if (this.#isHoldingLoop) handle.ref();
      else handle.unref();
    }
  }

  /**
   * ioredis listens `once` for its socket's errors: a second one (a TLS peer's alert after a
   * refused certificate, a reset while closing) would be an uncaught exception. The socket in
   * use keeps a listener that drops them; the first error of each socket is what counts.
   */
  #absorbLaterErrors(): void {
    const stream = (this.client as unknown as { stream?: NodeJS.EventEmitter }).stream;
    if (stream && !absorbing.has(stream)) {
      absorbing.add(stream);
      stream.on('error', () => {});
    }
  }

  /** Closes at once: a blocked read (XREAD BLOCK) is not waited for. */
  close(): void {
    this.#absorbLaterErrors();
    this.client.disconnect();
  }
}
