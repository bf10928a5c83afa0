// Barrier: Python's multiprocessing.Barrier. Words: parties arrived, generation, broken flag,
// the generation that reset() interrupted, and a signal word that every release, abort and
// reset bumps: waiters wait on it, so no change of state can slip past a waiter about to park. The last party to arrive runs the action (in
// its own process: a Barrier that travels needs an action that is a task reference, and a
// received one resolves only to a registered function, SPEC §14), starts the next generation
// and wakes the others.

import { checkWaitOptions, type WaitOptions } from '../base/abort.js';
import { Deadline } from '../base/deadline.js';
import { BrokenBarrierError } from '../base/errors.js';
import { checkInteger, checkOptionsObject, checkTimeout, invalidValue, outOfRange } from '../base/validate.js';
import { waitWordAbortable, wakeWord } from '../base/word-wait.js';
import type { SharedBlock } from '../memory/arena.js';
import { resolveTask } from '../tasks/resolve-task.js';
import { type AnyFunction, describeTask, type Task, type TaskDescriptor } from '../tasks/task-ref.js';
import { receiverRoot, untrustedTask } from '../tasks/task-trust.js';
import { type Adoption, blockFor, isAdoption, registerSharedType, type SharedWords } from './shared-words.js';

const ARRIVED = 0;
const GENERATION = 1;
const BROKEN = 2;
const RESET_GENERATION = 3;
const SIGNAL = 4;
const WORDS = 5;
const ALL = 2 ** 31 - 1;

export interface BarrierOptions {
  /** Run by the last party to arrive, before the others are released. */
  action?: Task<() => unknown> | null;
  /** Default timeout of wait(), in ms. */
  timeout?: number | null;
}

/** What a received Barrier carries (its action only as a task reference, checked on arrival). */
interface BarrierSettings {
  readonly parties: number;
  readonly timeoutMs: number | undefined;
  readonly action: TaskDescriptor | undefined;
}

/**
 * A meeting point for a fixed number of parties (processes or threads).
 *
 * @example
 * const barrier = new Barrier(3);
 * const index = await barrier.wait();   // resolves when all 3 have called wait()
 */
export class Barrier implements SharedWords {
  readonly #block: SharedBlock;
  readonly #parties: number;
  readonly #timeoutMs: number | undefined;
  readonly #action: AnyFunction | undefined;
  readonly #actionDescriptor: TaskDescriptor | undefined;

  constructor(parties: number, options?: BarrierOptions);
  /** @internal */
  constructor(parties: number, options: BarrierOptions, adoption: Adoption | undefined, receivedAction: TaskDescriptor | undefined);
  constructor(parties: number, options: BarrierOptions = {}, adoption?: Adoption, receivedAction?: TaskDescriptor) {
    this.#parties = checkInteger('Barrier: "parties"', parties, 1);
    // The arrival count is a 32-bit word.
    if (this.#parties > ALL) throw outOfRange('Barrier: "parties"', `an integer from 1 to ${ALL}`, parties);
    checkOptionsObject('Barrier: "options"', options);
    this.#timeoutMs = checkTimeout('Barrier: "timeout"', options.timeout);
    this.#block = blockFor(adoption, WORDS * 4);
    if (isAdoption(adoption)) {
      this.#actionDescriptor = receivedAction;
    } else if (options.action != null) {
      this.#actionDescriptor = describeTask('Barrier: "action"', options.action);
      this.#action = typeof options.action === 'function' ? (options.action as AnyFunction) : undefined;
    }
    if (!isAdoption(adoption)) Atomics.store(this.#block.words, RESET_GENERATION, -1);
  }

  /** @internal Rebuilds a Barrier received from another process or thread. */
  static fromRecord(adoption: Adoption, { parties, timeoutMs, action }: BarrierSettings): Barrier {
    // A record is checked like anything received: its action may only name a registered function.
    const received = action == null ? undefined : untrustedTask('Barrier record: "action"', action, receiverRoot());
    return new Barrier(parties, { timeout: timeoutMs }, adoption, received);
  }

  /** @internal */
  get sharedBlock(): SharedBlock {
    return this.#block;
  }

  /** @internal */
  get settings(): BarrierSettings {
    return { parties: this.#parties, timeoutMs: this.#timeoutMs, action: this.#actionDescriptor };
  }

  get parties(): number {
    return this.#parties;
  }

  /** Parties waiting now. */
  get nWaiting(): number {
    return Atomics.load(this.#block.words, ARRIVED);
  }

  get broken(): boolean {
    return Atomics.load(this.#block.words, BROKEN) === 1;
  }

  /**
   * Waits until every party has called wait(); resolves to this party's arrival index
   * (0 .. parties - 1). Rejects with BrokenBarrierError if the barrier breaks or times out. An
   * abort through `signal` counts as a timeout, as Python's barrier knows no other way to leave:
   * the barrier breaks (the other parties get BrokenBarrierError) and this wait rejects with
   * `signal.reason`.
   */
  async wait(timeout?: number | null, options?: WaitOptions): Promise<number> {
    const timeoutMs = timeout === undefined ? this.#timeoutMs : checkTimeout('Barrier.wait: "timeout"', timeout);
    const signal = checkWaitOptions('Barrier.wait', options);
    const words = this.#block.words;
    if (this.broken) throw new BrokenBarrierError('Barrier.wait: the barrier is broken; reset() it first.');
    const generation = Atomics.load(words, GENERATION);
    const index = Atomics.add(words, ARRIVED, 1);
    if (index + 1 === this.#parties) {
      await this.#release();
      return index;
    }
    await this.#awaitRelease(generation, timeoutMs, signal);
    return index;
  }

  async #release(): Promise<void> {
    const words = this.#block.words;
    try {
      const action = this.#action ?? (this.#actionDescriptor ? await resolveTask(this.#actionDescriptor) : undefined);
      if (action) await (action as () => unknown)();
    } catch (error) {
      this.abort();
      throw error;
    }
    Atomics.store(words, ARRIVED, 0);
    Atomics.add(words, GENERATION, 1);
    this.#signal();
  }

  /** Wakes every waiter; the bump makes a waiter that has not parked yet return at once. */
  #signal(): void {
    Atomics.add(this.#block.words, SIGNAL, 1);
    wakeWord(this.#block, SIGNAL, ALL);
  }

  async #awaitRelease(generation: number, timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<void> {
    const words = this.#block.words;
    const deadline = Deadline.after(timeoutMs);
    for (;;) {
      const bumps = Atomics.load(words, SIGNAL);
      if (Atomics.load(words, RESET_GENERATION) === generation) {
        throw new BrokenBarrierError('Barrier.wait: the barrier was reset while this party waited.');
      }
      if (Atomics.load(words, GENERATION) !== generation) return;
      if (this.broken) throw new BrokenBarrierError('Barrier.wait: the barrier was broken while this party waited.');
      if (deadline.passed()) {
        this.abort(); // Python: a timeout breaks the barrier for every party
        throw new BrokenBarrierError(`Barrier.wait: not every party arrived within ${timeoutMs} ms; the barrier is now broken.`);
      }
      try {
        await waitWordAbortable(this.#block, SIGNAL, bumps, deadline.remaining(), signal);
      } catch (error) {
        if (Atomics.load(words, GENERATION) !== generation) return; // released before the abort was seen
        if (signal?.aborted) this.abort(); // an abort leaves as a timeout does: the barrier breaks
        throw error;
      }
    }
  }

  /** Returns the barrier to its initial state; parties waiting now get BrokenBarrierError. */
  reset(): void {
    const words = this.#block.words;
    const generation = Atomics.load(words, GENERATION);
    if (Atomics.load(words, ARRIVED) > 0) Atomics.store(words, RESET_GENERATION, generation);
    Atomics.store(words, ARRIVED, 0);
    Atomics.store(words, BROKEN, 0);
    Atomics.add(words, GENERATION, 1);
    this.#signal();
  }

  /** Breaks the barrier: waiting and future wait() calls get BrokenBarrierError until reset(). */
  abort(): void {
    Atomics.store(this.#block.words, BROKEN, 1);
    this.#signal();
  }
}

/** A travelling Barrier's settings: its action only as a task reference (source never travels). */
function settingsToSend(barrier: Barrier, where: string): Barrier['settings'] {
  const settings = barrier.settings;
  if (settings.action?.kind === 'source') {
    throw invalidValue(
      `${where}: Barrier "action"`,
      'a task reference: a Barrier that travels needs an action that is a task reference',
      settings.action.name ? `inline function ${settings.action.name}` : 'an inline function',
      'Register the action (register(import.meta.url, { action })) and pass it, or taskRef(moduleUrl, name).',
    );
  }
  return settings;
}

registerSharedType(
  'barrier',
  Barrier,
  (barrier, _destination, where) => settingsToSend(barrier, where),
  (adoption, settings) => Barrier.fromRecord(adoption, settings),
);
