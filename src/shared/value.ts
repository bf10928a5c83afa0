// Value and RawValue: Python's multiprocessing.Value / RawValue, one typed element in shared
// memory. Reading or writing `.value` is one whole access (atomic for integer typecodes); a
// read-modify-write like `value += 1` needs the lock: `await using _ = await v.getLock().hold()`.

import { InvalidStateError } from '../base/errors.js';
import { Lock } from '../sync/lock.js';
import { RLock } from '../sync/rlock.js';
import { ADOPTION, type Adoption, blockFor, isAdoption, registerSharedType, type SharedWords, type WithAdoption } from '../sync/shared-words.js';
import { encodeValue } from '../tasks/codec.js';
import { checkOptionsObject, invalidType } from '../base/validate.js';
import type { SharedBlock } from '../memory/arena.js';
import { bytesPerElement, checkTypecode, type ElementOfTypecode, fromStored, isAtomic, type Typecode, type TypedView, toStored, viewOf } from './typecodes.js';

export interface ValueOptions {
  /** `true` (a new RLock, the default), a Lock or RLock to use, or `false` for none (a raw value). */
  lock?: boolean | Lock | RLock;
}

/** The lock an option asks for: Python's `lock=True/False/<lock>`. */
export function lockFromOption(where: string, option: ValueOptions['lock']): Lock | RLock | null {
  if (option === undefined || option === true) return new RLock();
  if (option === false) return null;
  if (option instanceof Lock || option instanceof RLock) return option;
  throw invalidType(`${where}: "lock"`, 'a boolean, a Lock or an RLock', option);
}

/**
 * One number (or bigint, or character) in shared memory, with a lock for compound updates.
 * Covariant in its typecode: a `Value<'i'>` is a `Value<number>`.
 *
 * @example
 * const counter = new Value('i', 0);
 * await using _ = await counter.getLock().hold();
 * counter.value += 1;
 */
export class Value<out T extends Typecode = Typecode> implements SharedWords {
  readonly #typecode: T;
  readonly #block: SharedBlock;
  readonly #view: TypedView;
  readonly #lock: Lock | RLock | null;
  /** Whether Atomics reads and writes the element whole (not for floats). */
  readonly #isAtomic: boolean;
  /** Where a refused write happened ("Value.value"), made once: a write must not build a string. */
  readonly #valueWhere: string;

  constructor(typecode: T, init?: ElementOfTypecode<T>, options: ValueOptions = {}) {
    this.#typecode = checkTypecode(`${new.target.name}: "typecode"`, typecode) as T;
    checkOptionsObject(`${new.target.name}: "options"`, options);
    const adoption = (options as WithAdoption<ValueOptions> | null)?.[ADOPTION];
    this.#block = blockFor(adoption, bytesPerElement(this.#typecode));
    this.#lock = lockFromOption(new.target.name, options.lock);
    this.#view = viewOf(this.#typecode, this.#block.buffer, this.#block.byteOffset, 1);
    this.#isAtomic = isAtomic(this.#typecode);
    this.#valueWhere = `${new.target.name}.value`;
    if (!isAdoption(adoption) && init !== undefined) this.value = init;
  }

  /** @internal Rebuilds a Value (or RawValue) received from another process or thread, with its received lock. */
  static fromRecord<C extends Typecode>(adoption: Adoption, typecode: C, raw: boolean, lock: unknown): Value<C> {
    const options: WithAdoption<ValueOptions> = { lock: raw ? false : (lock as Lock | RLock | false), [ADOPTION]: adoption };
    // A RawValue is a Value with RawValue's prototype: its own constructor only fixes `lock: false`.
    return Reflect.construct(Value, [typecode, undefined, options], raw ? RawValue : Value) as Value<C>;
  }

  /** @internal */
  get sharedBlock(): SharedBlock {
    return this.#block;
  }

  get typecode(): T {
    return this.#typecode;
  }

  get value(): ElementOfTypecode<T> {
    const stored = this.#isAtomic ? Atomics.load(this.#view as Int32Array, 0) : this.#view[0];
    return fromStored(this.#typecode, stored);
  }

  set value(value: ElementOfTypecode<T>) {
    const stored = toStored(this.#typecode, value, this.#valueWhere);
    if (this.#isAtomic) Atomics.store(this.#view as Int32Array, 0, stored as number);
    else this.#view[0] = stored as number;
  }

  /** The lock guarding compound updates. Throws InvalidStateError for a value made with `{ lock: false }`. */
  getLock(): Lock | RLock {
    if (!this.#lock) throw new InvalidStateError(`${this.constructor.name}.getLock: this value was made without a lock ({ lock: false }).`);
    return this.#lock;
  }

  /** @internal */
  get lockOrNull(): Lock | RLock | null {
    return this.#lock;
  }

  toString(): string {
    return `${this.constructor.name}('${this.#typecode}', ${String(this.value)})`;
  }
}

/** Python's RawValue: a Value without a lock. */
export class RawValue<out T extends Typecode = Typecode> extends Value<T> {
  constructor(typecode: T, init?: ElementOfTypecode<T>) {
    super(typecode, init, { lock: false });
  }
}

registerSharedType(
  'value',
  Value,
  (value, destination, where) => ({
    typecode: value.typecode,
    raw: value instanceof RawValue,
    lock: value.lockOrNull ? encodeValue(value.lockOrNull, `${where}.lock`, destination).value : false,
  }),
  (adoption, { typecode, raw, lock }) => Value.fromRecord(adoption, typecode, raw, lock),
);
