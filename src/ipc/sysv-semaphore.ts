// SysVSemaphoreSet: a System V semaphore set (semget, semop, semctl), the counters that C programs
// share by key. op() applies several operations atomically, all or none; one that must wait does
// so on a waiting thread of the addon, never the event loop, and a timeout or abort interrupts it
// having applied nothing. `undo` asks the kernel to reverse an operation if its process dies.

import { checkSignal } from '../base/abort.js';
import { blockingCall } from '../base/blocking-call.js';
import { TimeoutError } from '../base/errors.js';
import { checkOptionsObject, checkTimeout, invalidType, outOfRange } from '../base/validate.js';
import type { NativeBinding } from '../native/binding.js';
import { requireNative } from '../native/loader.js';
import { registerHandleType } from '../tasks/codec.js';
import {
  checkKey,
  checkOpenOptions,
  checkSysVRecord,
  goneError,
  IPC_PRIVATE,
  kernelLimit,
  keyText,
  openError,
  removedError,
  removeOnce,
  type SysVOpenOptions,
  withinKernelLimit,
} from './sysv-object.js';

/** The largest value of a System V semaphore (SEMVMX). */
export const SEMAPHORE_VALUE_MAX = 32767;

/** Options of `new SysVSemaphoreSet(key, count, options)`. */
export interface SysVSemaphoreSetOptions extends SysVOpenOptions {
  /**
   * The value every semaphore starts at, when this call creates the set (an existing set keeps its
   * values). A process that opens the set between its creation and this setting sees zeros: see
   * the README on initialising sets. @default 0
   */
  value?: number;
}

/** One semop operation. */
export interface SysVSemaphoreOperation {
  /** Which semaphore of the set (0-based). */
  index: number;
  /**
   * > 0 adds; < 0 subtracts, waiting until the value is large enough; 0 waits until the value is 0.
   * A C short: -32768..32767.
   */
  delta: number;
}

/** Options of `op()`. */
export interface SysVSemaphoreOpOptions {
  /** Milliseconds to wait; then it rejects with TimeoutError, having applied nothing. @default undefined (forever) */
  timeout?: number | null;
  /** SEM_UNDO: the kernel reverses these operations when this process ends (even by SIGKILL). @default false */
  undo?: boolean;
  /** Ends the wait: the promise rejects with `signal.reason`, nothing applied. */
  signal?: AbortSignal | null;
}

/** Opens an existing set by id (how an IPC_PRIVATE one is reached in a child); never public. */
const openById = Symbol('openById');

function checkUndo(where: string, undo: unknown): boolean {
  if (undo === undefined || undo === null) return false;
  if (typeof undo !== 'boolean') throw invalidType(`${where}: "undo"`, 'a boolean', undo);
  return undo;
}

function checkValue(where: string, value: unknown): number {
  if (typeof value !== 'number') throw invalidType(where, 'an integer semaphore value', value);
  if (!Number.isInteger(value) || value < 0 || value > SEMAPHORE_VALUE_MAX) {
    throw outOfRange(where, `an integer from 0 to ${SEMAPHORE_VALUE_MAX} (SEMVMX)`, value);
  }
  return value;
}

/**
 * A set of System V semaphores, named by a key that any process can know (see ftok).
 *
 * @example
 * const set = new SysVSemaphoreSet(key, 1, { create: true, value: 1 });
 * await set.op([{ index: 0, delta: -1 }], { undo: true }); // acquire
 * await set.op([{ index: 0, delta: 1 }], { undo: true });  // release
 * set.remove();
 */
export class SysVSemaphoreSet {
  readonly #native: NativeBinding;
  readonly #key: number;
  readonly #id: number;
  readonly #length: number;
  #isRemoved = false;

  constructor(key: number, count: number, options: SysVSemaphoreSetOptions = {}) {
    this.#native = requireNative('SysVSemaphoreSet');
    this.#key = checkKey('SysVSemaphoreSet', key);
    const opened = checkOpenOptions('SysVSemaphoreSet', options);
    const adopted = (options as { [openById]?: number })[openById];
    // IPC_PRIVATE always makes a new set (semget ignores IPC_CREAT for it), which `value` then sets.
    const flags = { ...opened, create: adopted === undefined && (opened.create || this.#key === IPC_PRIVATE) };
    const semmsl = kernelLimit('sem', 0, true) ?? 65535;
    if (typeof count !== 'number') throw invalidType('SysVSemaphoreSet: "count"', 'an integer number of semaphores', count);
    const smallest = flags.create ? 1 : 0;
    if (!Number.isInteger(count) || count < smallest || count > semmsl) {
      const hint = flags.create ? '' : ' 0 opens an existing set whatever its size.';
      throw outOfRange('SysVSemaphoreSet: "count"', `an integer from ${smallest} to ${semmsl} (SEMMSL)`, count, hint);
    }
    const value = checkValue('SysVSemaphoreSet: "value"', options.value ?? 0);
    try {
      this.#id = adopted ?? this.#get(count, flags, value);
      this.#length = this.#native.semCount(this.#id);
    } catch (error) {
      throw openError(error, `SysVSemaphoreSet(${keyText(this.#key)})`, 'semaphore set');
    }
  }

  /** Gets the set; one created here starts at `value` (an exclusive create tells that it was this call). */
  #get(count: number, flags: { create: boolean; exclusive: boolean; mode: number }, value: number): number {
    if (!flags.create) return this.#getExisting(count);
    let id: number;
    try {
      id = this.#native.semGet(this.#key, count, true, true, flags.mode);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST' || flags.exclusive) throw error;
      return this.#getExisting(count);
    }
    if (value !== 0) for (let index = 0; index < count; index++) this.#native.semSetValue(id, index, value);
    return id;
  }

  #getExisting(count: number): number {
    try {
      return this.#native.semGet(this.#key, count, false, false, 0);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EINVAL') throw error;
      const size = this.#native.semCount(this.#native.semGet(this.#key, 0, false, false, 0));
      throw outOfRange('SysVSemaphoreSet: "count"', `at most ${size}, the size of the existing set`, count);
    }
  }

  /** The key (a signed key_t; IPC_PRIVATE for a private set). */
  get key(): number {
    return this.#key;
  }

  /** The kernel's id of the set (semid), as ipcs shows it. */
  get id(): number {
    return this.#id;
  }

  /** How many semaphores the set has. */
  get length(): number {
    return this.#length;
  }

  #what(call: string): string {
    return `SysVSemaphoreSet(${keyText(this.#key)}).${call}`;
  }

  #checkAlive(call: string): void {
    if (this.#isRemoved) throw removedError(this.#what(call));
  }

  #checkIndex(where: string, index: unknown): number {
    if (typeof index !== 'number') throw invalidType(where, 'an integer index', index);
    if (!Number.isInteger(index) || index < 0 || index >= this.#length) {
      throw outOfRange(where, `an integer from 0 to ${this.#length - 1} (the set has ${this.#length})`, index);
    }
    return index;
  }

  /** The operations as semop's (index, delta) pairs, each checked. */
  #pairs(where: string, operations: unknown): Int32Array {
    if (!Array.isArray(operations)) throw invalidType(`${where}: "operations"`, 'an array of { index, delta }', operations);
    if (operations.length === 0 || !withinKernelLimit(operations.length, 'sem', 2)) {
      throw outOfRange(`${where}: "operations"`, `from 1 to ${kernelLimit('sem', 2)} operations (SEMOPM)`, operations);
    }
    const pairs = new Int32Array(operations.length * 2);
    operations.forEach((operation: unknown, at) => {
      if (typeof operation !== 'object' || operation === null) {
        throw invalidType(`${where}: "operations[${at}]"`, 'an object { index, delta }', operation);
      }
      const { index, delta } = operation as Record<string, unknown>;
      pairs[at * 2] = this.#checkIndex(`${where}: "operations[${at}].index"`, index);
      if (typeof delta !== 'number' || !Number.isInteger(delta) || delta < -32768 || delta > 32767) {
        throw outOfRange(`${where}: "operations[${at}].delta"`, 'an integer from -32768 to 32767 (a C short)', delta);
      }
      pairs[at * 2 + 1] = delta;
    });
    return pairs;
  }

  /**
   * Applies the operations all at once (semop), waiting until every one can be applied:
   * a negative delta waits for the value to be at least its size, a zero delta for the value to be 0.
   */
  async op(operations: readonly SysVSemaphoreOperation[], options?: SysVSemaphoreOpOptions): Promise<void> {
    const where = this.#what('op');
    this.#checkAlive('op');
    checkOptionsObject(`${where}: "options"`, options);
    const pairs = this.#pairs(where, operations);
    const timeoutMs = checkTimeout(`${where}: "timeout"`, options?.timeout);
    const signal = checkSignal(`${where}: "signal"`, options?.signal);
    const undo = checkUndo(where, options?.undo);
    try {
      if (this.#native.semOpNow(this.#id, pairs, undo)) return;
      if (timeoutMs === 0) throw new TimeoutError(`${where}: not done within 0 ms.`);
      await blockingCall<undefined>(where, { timeoutMs, signal }, (callback) => this.#native.semOpAsync(this.#id, pairs, undo, callback));
    } catch (error) {
      throw goneError(error, where, 'semaphore set', () => this.#native.semCount(this.#id));
    }
  }

  /** Applies the operations if they can all be applied now (IPC_NOWAIT); false (nothing applied) otherwise. */
  tryOp(operations: readonly SysVSemaphoreOperation[], options?: { undo?: boolean }): boolean {
    const where = this.#what('tryOp');
    this.#checkAlive('tryOp');
    checkOptionsObject(`${where}: "options"`, options);
    return this.#native.semOpNow(this.#id, this.#pairs(where, operations), checkUndo(where, options?.undo));
  }

  /** The value of semaphore `index` (GETVAL). */
  get(index: number): number {
    this.#checkAlive('get');
    return this.#native.semValueAt(this.#id, this.#checkIndex(`${this.#what('get')}: "index"`, index));
  }

  /** Sets semaphore `index` to `value` (SETVAL; waiters are woken, and every process's undo for it is cleared). */
  set(index: number, value: number): void {
    const where = this.#what('set');
    this.#checkAlive('set');
    const at = this.#checkIndex(`${where}: "index"`, index);
    this.#native.semSetValue(this.#id, at, checkValue(`${where}: "value"`, value));
  }

  /** Removes the set from the kernel (IPC_RMID): waiting ops, in any process, fail (here: code 'EIDRM'). Idempotent. */
  remove(): void {
    if (this.#isRemoved) return;
    removeOnce(() => this.#native.semRemove(this.#id));
    this.#isRemoved = true;
  }

  toString(): string {
    return `SysVSemaphoreSet(key=${keyText(this.#key)}, id=${this.#id}, length=${this.#length})`;
  }
}

registerHandleType<SysVSemaphoreSet>({
  tag: 'sysv-semaphore-set',
  matches: (value): value is SysVSemaphoreSet => value instanceof SysVSemaphoreSet,
  encode: (set) => ({ key: set.key, id: set.id }),
  decode: (data) => {
    const { key, id } = checkSysVRecord(data, 'Received SysVSemaphoreSet');
    if (key !== IPC_PRIVATE) return new SysVSemaphoreSet(key, 0);
    return new SysVSemaphoreSet(key, 0, { [openById]: id } as SysVSemaphoreSetOptions);
  },
});
