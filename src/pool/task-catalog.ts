// What the pool knows of the functions it runs: a small id for each (a worker receives a
// function's descriptor once, then only its id) and how long one item of it takes, learned
// from the workers' reports, from which the scheduler sizes its batches.

import type { Encoded } from '../tasks/codec.js';
import type { TaskDescriptor } from '../tasks/task-ref.js';
import type { TaskMode } from './messages.js';
import type { Job, PoolTask } from './worker-slot.js';

export class TaskCatalog {
  readonly #functionIds = new Map<string, number>();
  readonly #descriptors: TaskDescriptor[] = [];
  readonly #msPerItem: number[] = [];
  #nextTaskId = 1;

  /** A small number standing for a function. */
  functionId(descriptor: TaskDescriptor): number {
    const key = descriptor.kind === 'module' ? `m ${descriptor.registeredUnder ?? ''} ${descriptor.module}#${descriptor.name}` : `s ${descriptor.source}`;
    let id = this.#functionIds.get(key);
    if (id === undefined) {
      id = this.#descriptors.push(descriptor) - 1;
      this.#functionIds.set(key, id);
    }
    return id;
  }

  descriptor(functionId: number): TaskDescriptor {
    return this.#descriptors[functionId];
  }

  /** A task, with its run time estimated from its function's history (unknown: infinite). */
  createTask(job: Job, mode: TaskMode, payload: Encoded, index: number, size: number): PoolTask {
    const perItem = this.#msPerItem[job.functionId];
    const estimatedMs = perItem === undefined ? Number.POSITIVE_INFINITY : perItem * size;
    return { id: this.#nextTaskId++, job, mode, payload, index, size, estimatedMs };
  }

  /** Learns how long one item of this task's function takes (a moving average). */
  learn(task: PoolTask, durationMs: number): void {
    const id = task.job.functionId;
    const perItem = durationMs / Math.max(1, task.size);
    const previous = this.#msPerItem[id];
    this.#msPerItem[id] = previous === undefined ? perItem : previous * 0.7 + perItem * 0.3;
  }
}
