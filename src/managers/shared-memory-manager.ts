// Python's multiprocessing.managers.SharedMemoryManager: a manager whose SharedMemory and
// ShareableList segments are unlinked when it shuts down. The manager process creates each
// segment (segment-keeper.ts) and this side attaches to it by name, so the segments outlive
// the process that asked for them until shutdown(), as Python's do.

import { requireNative } from '../native/loader.js';
import { type ShareableItem, ShareableList } from '../shared/shareable-list.js';
import { SharedMemory } from '../shared/shared-memory.js';
import { checkInteger, invalidType } from '../base/validate.js';
import { type BaseManagerOptions, BaseManager } from './manager.js';
import { createKeptList, createKeptSegment, type KeptSegment } from './segment-keeper.js';

/**
 * A manager that creates shared-memory segments and unlinks them all at shutdown().
 *
 * @example
 * await using smm = new SharedMemoryManager();
 * await smm.start();
 * const shm = await smm.SharedMemory(1024);        // attach elsewhere: new SharedMemory({ name: shm.name })
 * const list = await smm.ShareableList([1, 'two']);
 * // after shutdown (here: the end of the block) both names are gone from /dev/shm
 */
export class SharedMemoryManager extends BaseManager {
  constructor(options: BaseManagerOptions = {}) {
    super(options);
    this.register('SharedMemory', createKeptSegment);
    this.register('ShareableList', createKeptList);
  }

  /** A new segment of `size` bytes, created by the manager process and unlinked at its shutdown. */
  async SharedMemory(size: number): Promise<SharedMemory> {
    requireNative('SharedMemoryManager.SharedMemory');
    checkInteger('SharedMemoryManager.SharedMemory: "size"', size, 1);
    const kept = await this.create<KeptSegment>('SharedMemory', size);
    return new SharedMemory({ name: await kept.name() });
  }

  /** A new ShareableList holding `sequence`, created by the manager process and unlinked at its shutdown. */
  async ShareableList(sequence: Iterable<ShareableItem>): Promise<ShareableList> {
    requireNative('SharedMemoryManager.ShareableList');
    if (sequence === null || typeof sequence !== 'object' || !(Symbol.iterator in sequence)) {
      throw invalidType('SharedMemoryManager.ShareableList: "sequence"', 'an iterable of items', sequence);
    }
    const kept = await this.create<KeptSegment>('ShareableList', [...sequence]);
    return new ShareableList(null, { name: await kept.name() });
  }
}
