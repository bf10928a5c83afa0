// What every synchronization object shares: a block of shared words, allocated when it is
// created here and adopted when it arrives from another process or thread, and a codec handle
// type so it travels as a reference to the same words (plus a few plain settings).

import { allocateBlock, allocateBytes, type BlockRecord, blockFromRecord, blockToRecord, type SharedBlock } from '../shared/arena.js';
import { type Destination, registerHandleType } from '../tasks/codec.js';

let adopting: SharedBlock | null = null;
const adoptedBlocks = new WeakSet<SharedBlock>();

/** The block a constructor should use: the adopted one while decoding, else a new one. */
export function blockForNew(wordCount: number): SharedBlock {
  const block = adopting ?? allocateBlock(wordCount);
  adopting = null;
  return block;
}

/** Like blockForNew, for a block measured in bytes (a shared value or array). */
export function bytesForNew(byteLength: number): SharedBlock {
  const block = adopting ?? allocateBytes(byteLength);
  adopting = null;
  return block;
}

/** True for a block that arrived from elsewhere: its words hold live state, not initial values. */
export function isAdopted(block: SharedBlock): boolean {
  return adoptedBlocks.has(block);
}

/** A synchronization object: its words, and the settings needed to rebuild it elsewhere. */
export interface SharedWords {
  readonly sharedBlock: SharedBlock;
}

interface SharedRecord<Settings> {
  readonly block: BlockRecord;
  readonly settings: Settings;
}

/**
 * Lets a class travel as a handle: `settingsOf` gives the plain data its constructor needs
 * again, `rebuild` calls that constructor (which takes the adopted block via blockForNew).
 */
export function registerSharedType<T extends SharedWords, Settings>(
  tag: string,
  type: abstract new (...args: never[]) => T,
  settingsOf: (object: T, destination: Destination, where: string) => Settings,
  rebuild: (settings: Settings) => T,
): void {
  registerHandleType<T>({
    tag,
    matches: (value): value is T => value instanceof type,
    encode: (object, destination, where): SharedRecord<Settings> => ({
      block: blockToRecord(object.sharedBlock, destination, where),
      settings: settingsOf(object, destination, where),
    }),
    decode: (data) => {
      const { block, settings } = data as SharedRecord<Settings>;
      adopting = blockFromRecord(block);
      adoptedBlocks.add(adopting);
      try {
        return rebuild(settings);
      } finally {
        adopting = null;
      }
    },
  });
}
