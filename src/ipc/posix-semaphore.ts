// PosixSemaphore: a POSIX named semaphore (sem_overview(7)), Python's posix_ipc.Semaphore. Any
// process that knows the name ("/slots") can open it. wait() runs sem_wait on one of the addon's
// waiting threads (base/blocking-call.ts), so the event loop keeps running; a timeout or abort
// interrupts that thread and the interrupted sem_wait takes nothing. The kernel keeps the
// semaphore (as /dev/shm/sem.<name>) until unlink().

import { checkSignal, throwIfAborted } from '../base/abort.js';
import { blockingCall } from '../base/blocking-call.js';
import { InvalidStateError } from '../base/errors.js';
import { checkInteger, checkOptionsObject, checkTimeout, describeValue, outOfRange } from '../base/validate.js';
import type { NativeBinding, SemaphoreId } from '../native/binding.js';
import { requireNative } from '../native/loader.js';
import { refusedRecord } from '../memory/arena.js';
import { registerHandleType } from '../tasks/codec.js';
import { checkPosixName, posixNameProblem, SEMAPHORE_NAME_MAX_BYTES } from './posix-names.js';
import { checkCreation } from './posix-open-options.js';
import { explainOpenError } from './posix-open-errors.js';
import { errnoCode, withHint } from './system-error.js';

export interface PosixSemaphoreOptions {
  /** Create the semaphore if it does not exist (O_CREAT); without it, it must exist. @default false */
  create?: boolean;
  /** With `create`: fail with EEXIST if it exists already (O_EXCL). @default false */
  exclusive?: boolean;
  /** With `create`: the initial value of a new semaphore (0 to SEM_VALUE_MAX). @default 0 */
  value?: number;
  /** Permissions of a semaphore created here (then filtered by the umask, as open(2) does). @default 0o600 */
  mode?: number;
}

// A semaphore dropped without close() is closed when collected, as Python's posix_ipc does on
// deallocation. A pending wait keeps its semaphore reachable.
const forgotten = new FinalizationRegistry<{ native: NativeBinding; id: SemaphoreId }>(({ native, id }) => native.semClose(id));

export interface PosixSemaphoreWaitOptions {
  /** Milliseconds to wait while the value is 0; then TimeoutError, and nothing was taken. */
  timeout?: number | null;
  signal?: AbortSignal | null;
}

/**
 * A POSIX named semaphore, between any processes (other programs, Python's ctypes or posix_ipc).
 *
 * @example
 * const slots = new PosixSemaphore('/slots', { create: true, value: 2 });
 * await slots.wait({ timeout: 1000 });   // in any process
 * try { ... } finally { slots.post(); }
 * slots.close();
 * slots.unlink(); // the kernel keeps it until then
 */
export class PosixSemaphore {
  readonly #native: NativeBinding;
  readonly #name: string;
  #id: SemaphoreId | null;
  /** Waits in progress, each ended by its controller when the semaphore is closed. */
  readonly #waits = new Set<AbortController>();

  constructor(name: string, options: PosixSemaphoreOptions = {}) {
    this.#native = requireNative('PosixSemaphore');
    this.#name = checkPosixName('PosixSemaphore', name, SEMAPHORE_NAME_MAX_BYTES);
    checkOptionsObject('PosixSemaphore: "options"', options);
    const creation = checkCreation('PosixSemaphore', options, ['value']);
    let value = 0;
    if (options.value !== undefined) {
      value = checkInteger('PosixSemaphore: "value"', options.value, 0);
      const max = this.#native.semValueMax();
      if (value > max) throw outOfRange('PosixSemaphore: "value"', `an integer from 0 to ${max} (SEM_VALUE_MAX)`, options.value);
    }
    try {
      this.#id = this.#native.semOpen(this.#name, creation.create, creation.exclusive, creation.mode, value);
    } catch (error) {
      throw explainOpenError('PosixSemaphore', 'semaphore', this.#name, error);
    }
    forgotten.register(this, { native: this.#native, id: this.#id }, this);
  }

  /** The semaphore's name ("/slots"). */
  get name(): string {
    return this.#name;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#id === null;
  }

  #openId(call: string): SemaphoreId {
    if (this.#id === null) throw new InvalidStateError(`PosixSemaphore.${call}(${this.#name}): the semaphore was closed; open it again with new PosixSemaphore("${this.#name}").`);
    return this.#id;
  }

  /**
   * Decrements the value, waiting while it is 0 (on a native thread: the event loop keeps
   * running) until another process posts, the timeout passes (TimeoutError, nothing taken) or
   * the signal aborts.
   */
  async wait(options: PosixSemaphoreWaitOptions = {}): Promise<void> {
    const id = this.#openId('wait');
    checkOptionsObject('PosixSemaphore.wait: "options"', options);
    const timeoutMs = checkTimeout('PosixSemaphore.wait: "timeout"', options.timeout);
    const signal = checkSignal('PosixSemaphore.wait: "signal"', options.signal);
    throwIfAborted(signal);
    if (this.#native.semTryWait(id)) return; // no thread needed when the value is above 0
    const ending = new AbortController();
    const forward = () => ending.abort(signal?.reason);
    signal?.addEventListener('abort', forward, { once: true });
    this.#waits.add(ending);
    try {
      await blockingCall<undefined>(`PosixSemaphore.wait(${this.#name})`, { timeoutMs, signal: ending.signal }, (callback) =>
        this.#native.semWait(id, callback),
      );
    } finally {
      this.#waits.delete(ending);
      signal?.removeEventListener('abort', forward);
    }
  }

  /** Decrements the value if it is above 0 and returns true; returns false at once when it is 0. */
  tryWait(): boolean {
    return this.#native.semTryWait(this.#openId('tryWait'));
  }

  /** Increments the value, waking one waiter in any process. */
  post(): void {
    try {
      this.#native.semPost(this.#openId('post'));
    } catch (error) {
      if (errnoCode(error) !== 'EOVERFLOW') throw error;
      throw withHint('PosixSemaphore.post', error, `The value is at its maximum (SEM_VALUE_MAX, ${this.#native.semValueMax()}); something posts more than it waits.`);
    }
  }

  /** The current value (sem_getvalue); waiters are not counted, so it is never below 0. */
  get value(): number {
    return this.#native.semGetValue(this.#openId('value'));
  }

  /**
   * Stops using the semaphore in this process (idempotent); waits still pending reject with
   * InvalidStateError, having taken nothing. The semaphore stays until unlink().
   */
  close(): void {
    if (this.#id === null) return;
    const id = this.#id;
    this.#id = null;
    forgotten.unregister(this);
    for (const ending of this.#waits) ending.abort(new InvalidStateError(`PosixSemaphore.wait(${this.#name}): the semaphore was closed while this call waited.`));
    this.#native.semClose(id); // a wait still ending holds it open until its thread lets go
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Removes the semaphore's name (idempotent; one already gone is no error): no process can open
   * it any more; those that have it keep using it. Works after close().
   */
  unlink(): void {
    PosixSemaphore.unlink(this.#name);
  }

  /** Removes the semaphore named `name`: true if it existed, false if there was none. */
  static unlink(name: string): boolean {
    const native = requireNative('PosixSemaphore.unlink');
    checkPosixName('PosixSemaphore.unlink', name, SEMAPHORE_NAME_MAX_BYTES);
    try {
      native.semUnlink(name);
      return true;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return false;
      throw withHint('PosixSemaphore.unlink', error, 'The semaphore was not removed.');
    }
  }

  toString(): string {
    return `PosixSemaphore('${this.#name}'${this.closed ? ', closed' : ''})`;
  }
}

registerHandleType<PosixSemaphore>({
  tag: 'posix-semaphore',
  matches: (value): value is PosixSemaphore => value instanceof PosixSemaphore,
  encode: (semaphore) => semaphore.name,
  decode: (name) => {
    if (typeof name !== 'string' || posixNameProblem(name, SEMAPHORE_NAME_MAX_BYTES) !== null) {
      throw refusedRecord('Received PosixSemaphore', `its name must be a semaphore name such as "/slots", received ${describeValue(name)}`);
    }
    return new PosixSemaphore(name);
  },
});
