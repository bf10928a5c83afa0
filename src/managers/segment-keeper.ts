// The manager-process side of SharedMemoryManager (Python's SharedMemoryServer and its
// _SharedMemoryTracker): segments are created here, in the manager process, and every one it
// made is unlinked when that process ends, whether by shutdown() or because its owner ended.
// If the manager is SIGKILLed, the tree's resource tracker unlinks them once the tree has ended.

import { ShareableList, type ShareableItem } from '../shared/shareable-list.js';
import { SharedMemory } from '../shared/shared-memory.js';
import { register } from '../tasks/task-ref.js';

const kept = new Map<string, SharedMemory>();

/** Unlinks every segment this manager made and has not released (run as the manager process exits). */
function unlinkKept(): void {
  for (const memory of kept.values()) {
    try {
      memory.unlink();
    } catch {
      // already unlinked by someone holding its name: nothing left to remove
    }
  }
  kept.clear();
}

function keep(memory: SharedMemory): KeptSegment {
  if (kept.size === 0) process.once('exit', unlinkKept); // 'exit' runs synchronously, as unlink does
  kept.set(memory.name, memory);
  memory.close(); // the manager only holds the name; clients map the memory
  return new KeptSegment(memory.name, memory.size);
}

/** What a client learns of a segment the manager made: its name (to attach) and size. */
export class KeptSegment {
  readonly #name: string;
  readonly #size: number;

  constructor(name: string, size: number) {
    this.#name = name;
    this.#size = size;
  }

  name(): string {
    return this.#name;
  }

  size(): number {
    return this.#size;
  }
}

/** The factory of SharedMemoryManager's "SharedMemory" type id: a new segment of `size` bytes. */
export function createKeptSegment(size: number): KeptSegment {
  return keep(new SharedMemory({ create: true, size }));
}

/** The factory of SharedMemoryManager's "ShareableList" type id: a new list holding `sequence`. */
export function createKeptList(sequence: ShareableItem[]): KeptSegment {
  return keep(new ShareableList(sequence).shm);
}

register(import.meta.url, { createKeptSegment, createKeptList });
