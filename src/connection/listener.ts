// Listener and Client: Python's multiprocessing.connection.Listener and Client, over TCP or a
// unix socket. Each accepted or connected socket is a Connection (socket-transport.ts frames
// its records). With an authkey, both sides run Python's challenge handshake (auth.ts) before
// either may read a message; without one, none runs (both ends must agree). Connections come
// in through admission.ts (bounded, concurrent handshakes with a deadline).

import { lstatSync, unlinkSync } from 'node:fs';
import { type AddressInfo, connect, createServer, isIPv6, type Server, type Socket } from 'node:net';
import { checkAuthkey } from '../base/authkey.js';
import { InvalidStateError, TimeoutError } from '../base/errors.js';
import { checkInteger, checkOptionsObject, invalidType, invalidValue, outOfRange } from '../base/validate.js';
import { loadNative } from '../native/loader.js';
import { Admission } from './admission.js';
import { authenticateClientSide } from './auth.js';
import { Connection } from './connection.js';
import { DEFAULT_MAX_MESSAGE_BYTES, MAX_FRAME_BYTES, socketTransport } from './socket-transport.js';
import { keepAlive } from '../base/keep-alive.js';

/** A TCP address (Python's `(host, port)` tuple). */
export interface InetAddress {
  readonly host: string;
  readonly port: number;
}

/** `{ host, port }` for TCP, a path (string) for a unix socket. */
export type Address = InetAddress | string;

/** Python's address families: TCP, or a unix socket. */
export type AddressFamily = 'AF_INET' | 'AF_UNIX';

/** A shared secret (a string is taken as its UTF-8 bytes); null or absent: no authentication. */
export type Authkey = string | Uint8Array | null;

export interface ListenerOptions {
  /** Where to listen: `{ host, port }` (port 0 takes a free one) or a unix socket path. */
  address: Address;
  /**
   * Clients must prove they hold the same key; absent or null: anyone may connect (as Python,
   * no default key: pass `currentProcess().authkey` for the one this process shares with its children).
   */
  authkey?: Authkey;
  /** Inferred from `address` when absent. */
  family?: AddressFamily;
  /** The kernel's queue of connections not accepted yet (Node's default when absent). */
  backlog?: number;
  /**
   * Milliseconds a connecting peer has to pass the authkey handshake (default 5000); a peer
   * still silent then is dropped, without accept() ever seeing it.
   */
  handshakeTimeout?: number;
  /** The longest message, in bytes, sent or received on an accepted connection (default 2**28, 256 MiB). */
  maxMessageSize?: number;
}

/** The options every socket end shares, checked. */
interface SocketLimits {
  readonly handshakeTimeoutMs: number;
  readonly maxMessageBytes: number;
}

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5000;
/** The longest timer Node keeps (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function parseLimits(where: string, options: Record<string, unknown>): SocketLimits {
  const { handshakeTimeout, maxMessageSize } = options;
  const handshakeTimeoutMs = handshakeTimeout === undefined ? DEFAULT_HANDSHAKE_TIMEOUT_MS : checkInteger(`${where}: "handshakeTimeout"`, handshakeTimeout, 1);
  if (handshakeTimeoutMs > MAX_TIMER_MS) throw outOfRange(`${where}: "handshakeTimeout"`, `milliseconds from 1 to ${MAX_TIMER_MS}`, handshakeTimeout);
  const maxMessageBytes = maxMessageSize === undefined ? DEFAULT_MAX_MESSAGE_BYTES : checkInteger(`${where}: "maxMessageSize"`, maxMessageSize, 1);
  if (maxMessageBytes > MAX_FRAME_BYTES) throw outOfRange(`${where}: "maxMessageSize"`, `bytes from 1 to ${MAX_FRAME_BYTES} (2**32 - 1, the most a frame header can say)`, maxMessageSize);
  return { handshakeTimeoutMs, maxMessageBytes };
}

export interface ClientOptions {
  /** The listener's address: `{ host, port }` or a unix socket path. */
  address: Address;
  /** The listener's authkey; absent or null when the listener has none. */
  authkey?: Authkey;
  /** Inferred from `address` when absent. */
  family?: AddressFamily;
  /** Milliseconds the listener has to complete the authkey handshake (default 5000); then Client rejects with TimeoutError. */
  handshakeTimeout?: number;
  /** The longest message, in bytes, sent or received on this connection (default 2**28, 256 MiB). */
  maxMessageSize?: number;
}

type Endpoint = { readonly family: 'AF_INET'; readonly host: string; readonly port: number } | { readonly family: 'AF_UNIX'; readonly path: string };

function parseFamily(where: string, family: unknown): AddressFamily | undefined {
  if (family === undefined || family === 'AF_INET' || family === 'AF_UNIX') return family;
  throw invalidValue(`${where}: "family"`, `'AF_INET' or 'AF_UNIX'`, family);
}

/** The address as an endpoint; a listener may ask for port 0, a client may not. */
function parseEndpoint(where: string, address: unknown, familyOption: unknown, minPort: number): Endpoint {
  const family = parseFamily(where, familyOption);
  if (typeof address === 'string') {
    if (family === 'AF_INET') throw invalidValue(`${where}: "address"`, 'an object { host, port } for family AF_INET', address);
    // A leading NUL names a Linux abstract socket: no file, so nothing is left if the process is killed.
    if (address === '' || address === '\0' || address.includes('\0', 1)) {
      throw invalidValue(`${where}: "address"`, 'a unix socket path (or "\\0name" for an abstract one), non-empty and without other NUL characters', address);
    }
    return { family: 'AF_UNIX', path: address };
  }
  if (typeof address !== 'object' || address === null || Array.isArray(address)) {
    throw invalidType(`${where}: "address"`, 'an object { host, port } or a unix socket path (string)', address);
  }
  if (family === 'AF_UNIX') throw invalidValue(`${where}: "address"`, 'a unix socket path (string) for family AF_UNIX', address);
  const { host, port } = address as { host?: unknown; port?: unknown };
  if (typeof host !== 'string' || host === '') throw invalidType(`${where}: "address.host"`, 'a non-empty string (a host name or an IP address)', host);
  const checked = checkInteger(`${where}: "address.port"`, port, minPort);
  if (checked > 65535) throw outOfRange(`${where}: "address.port"`, `an integer from ${minPort} to 65535`, port);
  return { family: 'AF_INET', host, port: checked };
}

/** The key's bytes, or null for none: as Python's, a Listener or Client has no default key. */
function parseAuthkey(where: string, authkey: unknown): Uint8Array | null {
  return authkey === undefined || authkey === null ? null : checkAuthkey(`${where}: "authkey"`, authkey);
}

function checkOptions(where: string, options: unknown): Record<string, unknown> {
  checkOptionsObject(`${where}: options`, options);
  if (options === undefined || options === null) throw invalidType(`${where}: options`, 'an options object with an "address"', options);
  return options as Record<string, unknown>;
}

function hostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function describeEndpoint(endpoint: Endpoint): string {
  return endpoint.family === 'AF_UNIX' ? `unix socket ${endpoint.path}` : `socket to ${hostPort(endpoint.host, endpoint.port)}`;
}

function listenFailure(endpoint: Endpoint, error: Error): Error {
  const failure = new Error(`Listener: cannot listen on the ${describeEndpoint(endpoint)}: ${error.message}`, { cause: error });
  return Object.assign(failure, { code: (error as NodeJS.ErrnoException).code });
}

/** Node's default backlog, which Python's Listener (backlog=1) would make too short for a pool of clients. */
const DEFAULT_BACKLOG = 511;

/**
 * What net.Server.listen() gets. A TCP address is bound here through the addon (a host name is
 * looked up, synchronously, as Python's constructor does), because Node's listen({ host, port })
 * binds on a later tick and its port 0 stays unknown until then; the server takes over the
 * descriptor. Without the addon, Node binds it after its own lookup. A unix path Node binds at once.
 */
function listenWhere(endpoint: Endpoint, backlog: number | undefined): { fd: number } | { host: string; port: number } | { path: string } {
  if (endpoint.family === 'AF_UNIX') return { path: endpoint.path };
  const native = loadNative();
  if (native === null) return { host: endpoint.host, port: endpoint.port };
  try {
    return { fd: native.tcpListen(endpoint.host, endpoint.port, backlog ?? DEFAULT_BACKLOG) };
  } catch (error) {
    throw listenFailure(endpoint, error as Error);
  }
}

/** Sockets are served by the transport's own listeners; this one covers the moments before it exists. */
function ignoreSocketError(): void {}

function isAbstract(path: string): boolean {
  return path.startsWith('\0');
}

// Unix socket files of open listeners, removed when the process exits (as Python's finalizer
// does) if they are still the files those listeners created.
const liveSocketFiles = new Map<string, { dev: number; ino: number }>();
let isExitHookSet = false;

function rememberSocketFile(path: string): void {
  const { dev, ino } = lstatSync(path);
  liveSocketFiles.set(path, { dev, ino });
  if (isExitHookSet) return;
  isExitHookSet = true;
  process.once('exit', () => {
    for (const [file, identity] of liveSocketFiles) removeIfSame(file, identity);
  });
}

function removeIfSame(path: string, identity: { dev: number; ino: number }): void {
  try {
    const stat = lstatSync(path);
    if (stat.dev === identity.dev && stat.ino === identity.ino) unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Python's EADDRINUSE for a path that exists; the file is someone's (maybe a stale socket): it stays. */
function refuseExistingPath(path: string): void {
  let exists = true;
  try {
    lstatSync(path);
  } catch {
    exists = false;
  }
  if (!exists) return;
  const error = new Error(
    `Listener: the unix socket path ${JSON.stringify(path)} already exists (EADDRINUSE). If it is a stale socket left by a listener that was not closed, remove it first.`,
  );
  throw Object.assign(error, { code: 'EADDRINUSE' });
}

/**
 * Accepts connections on a TCP address or a unix socket (Python's `Listener`).
 *
 * The listener binds as it is constructed, as Python's does: when the constructor returns,
 * `address` is the bound one (with port 0, the port the system chose), and a TCP address that
 * cannot be bound (EADDRINUSE, EACCES, an unknown host: ENOTFOUND) throws there, as does a unix
 * path that exists (EADDRINUSE); other unix failures (a missing directory, no permission)
 * reject `listening` and accept(). A host name binds its first IPv4 address (`'localhost'` is
 * 127.0.0.1, as for Python's AF_INET listener), else its first IPv6 one; an IPv6 literal such
 * as `'::1'` binds IPv6. The host is looked up synchronously, as Python's constructor does.
 *
 * Without the native addon (MULTIPROC_NO_NATIVE=1, or not built), Node binds a TCP address a
 * moment later, after looking its host up: until `await listener.listening`, `address` is the
 * requested one, throws for port 0, and a failure rejects `listening` and accept(). Awaiting
 * `listening` works in both cases; accept() waits for the binding itself.
 *
 * Handshakes run as connections arrive, many at once, each within `handshakeTimeout`:
 * accept() yields connections in the order they passed, so a silent peer keeps nobody out.
 *
 * @example
 * const listener = new Listener({ address: { host: 'localhost', port: 0 }, authkey: 'secret' });
 * console.log(listener.address); // { host: '127.0.0.1', port: 38211 }
 * // elsewhere: const conn = await Client({ address: listener.address, authkey: 'secret' });
 * const conn = await listener.accept();
 * console.log(await conn.recv());
 */
export class Listener {
  /** Resolves once the listener is bound; rejects if it cannot listen (nobody has to await it). */
  readonly listening: Promise<void>;
  readonly #server: Server;
  readonly #endpoint: Endpoint;
  /** Connections between the server and accept(): their handshakes and the ones that passed. */
  readonly #admission: Admission<Address>;
  #bound: Address | null = null;
  #failure: Error | null = null;
  #isClosed = false;
  #lastAcceptedFrom: Address | null = null;
  #resolveListening: () => void = () => {};
  #rejectListening: (error: Error) => void = () => {};

  constructor(options: ListenerOptions) {
    const checked = checkOptions('Listener', options);
    this.#endpoint = parseEndpoint('Listener', checked.address, checked.family, 0);
    const authkey = parseAuthkey('Listener', checked.authkey);
    this.#admission = new Admission({ authkey, ...parseLimits('Listener', checked) });
    const backlog = checked.backlog === undefined ? undefined : checkInteger('Listener: "backlog"', checked.backlog, 0);
    if (this.#endpoint.family === 'AF_UNIX' && !isAbstract(this.#endpoint.path)) refuseExistingPath(this.#endpoint.path);
    // Bound before the server exists, so a failure (EADDRINUSE, an unknown host) leaves nothing open.
    const where = listenWhere(this.#endpoint, backlog);
    this.#server = createServer((socket) => this.#arrive(socket));
    this.listening = new Promise<void>((resolve, reject) => {
      this.#resolveListening = resolve;
      this.#rejectListening = reject;
    });
    this.#server.once('listening', () => this.#onListening());
    this.#server.on('error', (error) => this.#onServerError(error));
    this.listening.catch(() => {}); // a failure also rejects accept(): no unhandled rejection
    this.#server.listen({ ...where, backlog });
    // Bound by now when given a descriptor or a unix path ('listening' still comes later): the address is final.
    if (this.#server.listening) this.#bound = this.#boundAddress();
  }

  /**
   * The bound address, same shape as the one given: `{ host, port }` with the port chosen when
   * port 0 was asked for, or the unix socket path. Final when the constructor returns (without
   * the addon, a TCP address is final after `await listener.listening`: see the class notes).
   */
  get address(): Address {
    if (this.#bound !== null) return this.#bound;
    if (this.#failure !== null) throw new InvalidStateError(`Listener.address: the listener could not listen: ${this.#failure.message}`, { cause: this.#failure });
    const endpoint = this.#endpoint;
    if (endpoint.family === 'AF_UNIX') return endpoint.path;
    if (endpoint.port === 0) {
      throw new InvalidStateError('Listener.address: the port is not chosen yet: port 0 takes a free port as the listener binds, just after construction. Await listener.listening first.');
    }
    return Object.freeze({ host: endpoint.host, port: endpoint.port });
  }

  /**
   * Where the last accepted connection came from: `{ host, port }` for TCP; for a unix socket,
   * whose clients have no name of their own, the listener's path. Null before the first.
   */
  get lastAcceptedFrom(): Address | null {
    return this.#lastAcceptedFrom;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#isClosed;
  }

  /**
   * The next connection, in the order connections passed the authkey handshake (without an
   * authkey, the order they arrived). Rejects with AuthenticationError when a peer failed the
   * handshake (a wrong key: the listener goes on, accept again); peers that stay silent past
   * `handshakeTimeout` or leave are dropped unseen. Rejects with InvalidStateError once the
   * listener is closed.
   */
  async accept(): Promise<Connection> {
    if (this.#isClosed) throw this.#closedError();
    if (this.#failure !== null) throw this.#failure;
    // Held open while waiting, whether or not the server itself keeps the loop busy.
    const { connection, from } = await keepAlive(this.#admission.next());
    this.#lastAcceptedFrom = from;
    return connection;
  }

  /**
   * Stops listening (a unix socket's file is removed); connections not accepted yet are closed,
   * connections already accepted stay open. Idempotent.
   */
  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#server.close();
    if (this.#endpoint.family === 'AF_UNIX') liveSocketFiles.delete(this.#endpoint.path);
    this.#admission.close(this.#closedError());
    // Node emits no 'listening' for a server closed before it would: settle it here.
    if (this.#bound !== null) this.#resolveListening();
    else this.#rejectListening(this.#closedError());
  }

  [Symbol.dispose](): void {
    this.close();
  }

  toString(): string {
    return `<Listener ${describeEndpoint(this.#endpoint)}${this.#isClosed ? ' (closed)' : ''}>`;
  }

  #boundAddress(): Address {
    if (this.#endpoint.family === 'AF_UNIX') return this.#endpoint.path;
    const info = this.#server.address() as AddressInfo;
    return Object.freeze({ host: info.address, port: info.port });
  }

  #onListening(): void {
    // Closed while its host was looked up: Node binds anyway, so close again.
    if (this.#isClosed) {
      this.#server.close();
      return;
    }
    this.#bound = this.#boundAddress();
    if (this.#endpoint.family === 'AF_UNIX' && !isAbstract(this.#endpoint.path)) rememberSocketFile(this.#endpoint.path);
    this.#resolveListening();
  }

  /** Before binding: the listener cannot listen. After: an accept failed (too many open files...). */
  #onServerError(error: Error): void {
    if (this.#bound === null) {
      this.#failure = listenFailure(this.#endpoint, error);
      this.#rejectListening(this.#failure);
    }
    this.#admission.rejectWaiting(this.#failure ?? error);
  }

  #closedError(): InvalidStateError {
    return new InvalidStateError('Listener.accept: the listener is closed.');
  }

  #arrive(socket: Socket): void {
    socket.on('error', ignoreSocketError);
    const endpoint = this.#endpoint;
    const from: Address = endpoint.family === 'AF_UNIX' ? endpoint.path : Object.freeze({ host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 });
    const name = typeof from === 'string' ? `unix socket ${from}` : `socket to ${hostPort(from.host, from.port)}`;
    if (this.#isClosed) socket.destroy();
    else this.#admission.arrive(socket, name, from);
  }
}

function connectTo(endpoint: Endpoint): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = endpoint.family === 'AF_UNIX' ? connect({ path: endpoint.path }) : connect({ host: endpoint.host, port: endpoint.port });
    const onError = (error: NodeJS.ErrnoException): void => {
      const wrapped = new Error(`Client: cannot connect to the ${describeEndpoint(endpoint)}: ${error.message}`, { cause: error });
      reject(Object.assign(wrapped, { code: error.code }));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      socket.on('error', ignoreSocketError);
      resolve(socket);
    });
  });
}

/**
 * Connects to a Listener (Python's `Client`). With an authkey, resolves once both sides passed
 * the handshake, and rejects with AuthenticationError when the keys differ.
 *
 * @example
 * const conn = await Client({ address: { host: '127.0.0.1', port: 6000 }, authkey: 'secret' });
 * conn.send({ hello: 'listener' });
 */
export async function Client(options: ClientOptions): Promise<Connection> {
  const checked = checkOptions('Client', options);
  const endpoint = parseEndpoint('Client', checked.address, checked.family, 1);
  const authkey = parseAuthkey('Client', checked.authkey);
  const { handshakeTimeoutMs, maxMessageBytes } = parseLimits('Client', checked);
  const socket = await connectTo(endpoint);
  const transport = socketTransport(socket, describeEndpoint(endpoint), authkey !== null, maxMessageBytes);
  if (authkey === null) return new Connection(transport);
  let isLate = false;
  const deadline = setTimeout(() => {
    isLate = true;
    transport.close();
  }, handshakeTimeoutMs);
  try {
    await authenticateClientSide(transport, authkey, 'Client');
    transport.authenticated();
  } catch (error) {
    transport.close();
    if (!isLate) throw error;
    throw new TimeoutError(
      `Client: the listener at the ${describeEndpoint(endpoint)} did not complete the authkey handshake within "handshakeTimeout" = ${handshakeTimeoutMs} ms; the socket was closed. Is it a multiproc Listener with an authkey, and not overloaded?`,
      { cause: error },
    );
  } finally {
    clearTimeout(deadline);
  }
  return new Connection(transport);
}
