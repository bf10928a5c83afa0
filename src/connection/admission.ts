// How a Listener lets connections in (SPEC §14): whoever connects gets nothing beyond the
// authkey handshake, bounded in time and memory, and cannot keep anyone else out.
//
// Handshakes start as connections arrive, at most MAX_HANDSHAKES at once, each with a deadline
// (`handshakeTimeout`). accept() takes connections in the order they passed, not the order they
// arrived: a silent peer holds only its own slot. Past the limit, arrivals wait in a queue
// without being read (the kernel holds what they send); past MAX_QUEUED, arrivals are closed
// at once, so file descriptors and memory stay bounded however many peers connect. Passed
// connections nobody accepted yet stop new handshakes at MAX_UNACCEPTED (as a kernel backlog).
// A wrong key (or a peer that does not speak the handshake) rejects the next accept() with
// AuthenticationError; a peer that times out, closes or resets is dropped without a word.

import { getLogger } from '../base/log.js';
import type { Socket } from 'node:net';
import { EOFError } from '../base/errors.js';
import { authenticateListenerSide } from './auth.js';
import { Connection } from './connection.js';
import { type SocketTransport, socketTransport } from './socket-transport.js';

/** Handshakes in progress at once. */
export const MAX_HANDSHAKES = 64;
/** Arrivals waiting for a handshake slot; more are closed as they arrive. */
const MAX_QUEUED = 256;
/** Connections that passed and are not accepted yet; handshakes wait while this many do. */
const MAX_UNACCEPTED = 64;
/** Failed handshakes kept for accept() to report; more are dropped (a flood of wrong keys costs nothing). */
const MAX_FAILURES = 16;

export interface AdmissionOptions {
  readonly authkey: Uint8Array | null;
  readonly handshakeTimeoutMs: number;
  readonly maxMessageBytes: number;
}

/** An accepted connection, and where it came from (`P`: the listener's address shape). */
export interface Admitted<P> {
  readonly connection: Connection;
  readonly from: P;
}

interface Arrival<P> {
  readonly socket: Socket;
  readonly name: string;
  readonly from: P;
}

type Outcome<P> = { readonly admitted: Admitted<P> } | { readonly error: Error };

interface Waiter<P> {
  resolve(admitted: Admitted<P>): void;
  reject(error: Error): void;
}

export class Admission<P> {
  readonly #options: AdmissionOptions;
  readonly #queued: Arrival<P>[] = [];
  readonly #handshaking = new Set<SocketTransport>();
  readonly #outcomes: Outcome<P>[] = [];
  #unaccepted = 0;
  #failures = 0;
  readonly #waiting: Waiter<P>[] = [];
  #isClosed = false;

  constructor(options: AdmissionOptions) {
    this.#options = options;
  }

  /** A socket the server accepted: its handshake starts now, or as soon as a slot frees. */
  arrive(socket: Socket, name: string, from: P): void {
    if (this.#isClosed || this.#queued.length >= MAX_QUEUED) {
      socket.destroy();
      return;
    }
    socket.pause();
    this.#queued.push({ socket, name, from });
    this.#startHandshakes();
  }

  /** The next connection that passed, in the order they passed; rejects with the next failure. */
  next(): Promise<Admitted<P>> {
    const outcome = this.#outcomes.shift();
    if (outcome === undefined) return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
    if ('error' in outcome) {
      this.#failures--;
      return Promise.reject(outcome.error);
    }
    this.#unaccepted--;
    this.#startHandshakes();
    return Promise.resolve(outcome.admitted);
  }

  /** Rejects the accept() calls waiting now (the server failed to accept: too many open files...). */
  rejectWaiting(error: Error): void {
    for (const waiter of this.#waiting.splice(0)) waiter.reject(error);
  }

  /** Closes every connection not accepted yet, and rejects the waiting accept() calls with `error`. */
  close(error: Error): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    for (const arrival of this.#queued.splice(0)) arrival.socket.destroy();
    for (const transport of this.#handshaking) transport.close();
    for (const outcome of this.#outcomes.splice(0)) if ('admitted' in outcome) outcome.admitted.connection.close();
    this.rejectWaiting(error);
  }

  #startHandshakes(): void {
    while (!this.#isClosed && this.#queued.length > 0 && this.#handshaking.size < MAX_HANDSHAKES && this.#unaccepted < MAX_UNACCEPTED) {
      const arrival = this.#queued.shift()!;
      const { authkey, maxMessageBytes } = this.#options;
      const transport = socketTransport(arrival.socket, arrival.name, authkey !== null, maxMessageBytes);
      arrival.socket.resume();
      if (authkey === null) this.#pass(transport, arrival.from);
      else void this.#handshake(transport, authkey, arrival.from);
    }
  }

  async #handshake(transport: SocketTransport, authkey: Uint8Array, from: P): Promise<void> {
    this.#handshaking.add(transport);
    let isLate = false;
    const deadline = setTimeout(() => {
      isLate = true;
      transport.close();
    }, this.#options.handshakeTimeoutMs);
    deadline.unref();
    try {
      await authenticateListenerSide(transport, authkey, 'Listener.accept');
      transport.authenticated();
      this.#handshaking.delete(transport);
      this.#pass(transport, from);
    } catch (error) {
      this.#handshaking.delete(transport);
      transport.close();
      if (!this.#isClosed && !isGone(error)) getLogger().warn(`Listener refused the peer at the ${transport.describe()}: ${isLate ? `no authkey handshake within ${this.#options.handshakeTimeoutMs} ms` : (error as Error).message}`);
      if (!isLate && !this.#isClosed && !isGone(error)) this.#failed(error as Error);
    } finally {
      clearTimeout(deadline);
      this.#startHandshakes();
    }
  }

  #pass(transport: SocketTransport, from: P): void {
    const admitted = { connection: new Connection(transport), from };
    if (this.#isClosed) {
      admitted.connection.close();
      return;
    }
    const waiter = this.#waiting.shift();
    if (waiter) {
      waiter.resolve(admitted);
      return;
    }
    this.#unaccepted++;
    this.#outcomes.push({ admitted });
  }

  #failed(error: Error): void {
    const waiter = this.#waiting.shift();
    if (waiter) waiter.reject(error);
    else if (this.#failures < MAX_FAILURES) {
      this.#failures++;
      this.#outcomes.push({ error });
    }
  }
}

/** The peer closed or reset the socket during the handshake: nothing to report. */
function isGone(error: unknown): boolean {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof EOFError || (cause instanceof Error && (cause as NodeJS.ErrnoException).code === 'EPIPE');
}
