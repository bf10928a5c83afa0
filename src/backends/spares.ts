// Warm spare children, Python's forkserver idea: booting Node costs ~55 ms, so after a start a
// backend keeps as many pre-booted idle children as the last burst of Process starts needed,
// and the next starts adopt them. Spares never keep the parent alive and are ended after
// SPARE_IDLE_MS without work, so an idle program holds none.

import type { ChildEvents, ChildHandle, ResourceLimits, StartOptions } from './backend.js';
import { IdleChildren } from './idle-children.js';

export const SPARE_IDLE_MS = 2000;
const MAX_SPARES = 8;

/** A child booted (or booting) ahead of time, waiting for its first message. */
export interface Spare<Handle> {
  readonly handle: Handle;
  isAlive(): boolean;
  /** True once the child has finished booting (it said so); a start adopting it then waits for nothing. */
  isReady(): boolean;
  /** Ends an idle spare. */
  dispose(): void;
}

export class SpareKeeper<Handle> {
  readonly #boot: (onExit: () => void) => Spare<Handle>;
  readonly #ready = new IdleChildren<Spare<Handle>>(SPARE_IDLE_MS);
  #target = 0;
  /**
   * Spares kept beyond the burst: back-to-back starts that each adopt a warm spare end sooner
   * than a new spare boots, so one spare per start would be adopted while still booting, every
   * other start. Each start that finds its spare unready asks for one more in flight.
   */
  #ahead = 0;
  #burst = 0;
  #isBurstOpen = false;

  /** `boot` starts one idle child; `onExit` is called if it ends before being adopted. */
  constructor(boot: (onExit: () => void) => Spare<Handle>) {
    this.#boot = boot;
  }

  /** A warm child for this start, or undefined (then the caller boots one itself). */
  take(): Handle | undefined {
    this.#countStart();
    const spare = this.#ready.take((candidate) => candidate.isAlive());
    if (spare !== undefined && !spare.isReady()) this.#ahead = Math.min(MAX_SPARES, this.#ahead + 1);
    return spare?.handle;
  }

  /** Starts in one macrotask form a burst; the spares kept match the largest recent burst. */
  #countStart(): void {
    this.#burst += 1;
    if (this.#isBurstOpen) return;
    this.#isBurstOpen = true;
    setImmediate(() => {
      this.#isBurstOpen = false;
      this.#target = Math.min(MAX_SPARES, this.#burst + this.#ahead);
      this.#burst = 0;
      this.#replenish();
    }).unref();
  }

  #replenish(): void {
    while (this.#ready.size < this.#target) {
      const spare: Spare<Handle> = this.#boot(() => this.#ready.remove(spare));
      // Idle spares are ended by the parent, never by themselves, so a spare that take() returns
      // cannot be exiting at that moment.
      this.#ready.add(spare, () => {
        this.#target = 0; // the program no longer starts children often
        this.#ahead = 0;
        spare.dispose();
      });
    }
  }
}

/** A backend's child that can be booted ahead of time and given its init later. */
export interface AdoptableChild extends ChildHandle {
  readonly hasExited: boolean;
  /** True once the booted child said it waits for its init. */
  readonly isReady: boolean;
  adopt(init: unknown, events: ChildEvents): ChildHandle;
}

/**
 * A backend's start(): with `useSpares`, adopts a warm spare when one is ready; else boots a
 * child. A child with its own resource limits needs its own options at boot: never a spare.
 */
export function startWithSpares(
  create: (limits: ResourceLimits | undefined, onIdleExit?: () => void) => AdoptableChild,
): (options: StartOptions, events: ChildEvents) => ChildHandle {
  const spares = new SpareKeeper<AdoptableChild>((onExit) => {
    const child = create(undefined, onExit);
    child.unref();
    return { handle: child, isAlive: () => !child.hasExited, isReady: () => child.isReady, dispose: () => child.kill() };
  });
  return (options, events) => {
    const canUseSpare = options.useSpares === true && options.resourceLimits === undefined;
    const child = (canUseSpare ? spares.take() : undefined) ?? create(options.resourceLimits);
    return child.adopt(options.init, events);
  };
}
