// What every synchronization object shares: a block of shared words, allocated when it is
// created here and adopted when it arrives from another process or thread, and a codec handle
// type so it travels as a reference to the same words (plus a few plain settings).

import { allocateBlock, allocateBytes, type BlockRecord, blockFromRecord, blockToRecord, type SharedBlock } from '../memory/arena.js';
import { InvalidStateError } from '../base/errors.js';
import { type Destination, registerHandleType } from '../tasks/codec.js';

let adopting: SharedBlock | null = null;
/** What is being rebuilt ("Received lock"), for errors. */
let adoptingWhat = '';
const adoptedBlocks = new WeakSet<SharedBlock>();

/** The adopted block while decoding (checked to hold `byteLength` bytes), else null. */
function adoptedBlock(byteLength: number): SharedBlock | null {
  const block = adopting;
  adopting = null;
  // The record's settings (a length, a typecode) say how much the object uses: the block must hold it.
  if (block && block.byteLength < byteLength) {
    throw new InvalidStateError(
      `${adoptingWhat}: its settings need ${byteLength} bytes of shared memory, but the block it names has ${block.byteLength}. A process of this tree sent a corrupted or forged handle.`,
    );
  }
  return block;
}

/** The block a constructor should use: the adopted one while decoding, else a new one. */
export function blockForNew(wordCount: number): SharedBlock {
  return adoptedBlock(wordCount * 4) ?? allocateBlock(wordCount);
}

/** Like blockForNew, for a block measured in bytes (a shared value or array). */
export function bytesForNew(byteLength: number): SharedBlock {
  return adoptedBlock(byteLength) ?? allocateBytes(byteLength);
}

/** True for a block that arrived from elsewhere: its words hold live state, not initial values. */
export function isAdopted(block: SharedBlock): boolean {
  return adoptedBlocks.has(block);
}

/** A synchronization object: its words, and the settings needed to rebuild it elsewhere. */
export interface SharedWords {
  /** @internal Internal like each class's own, so the published classes still implement this. */
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
      const what = `Received ${tag}`;
      const { block, settings } = (typeof data === 'object' && data !== null ? data : {}) as Partial<SharedRecord<Settings>>;
      adopting = blockFromRecord(block, what);
      adoptingWhat = what;
      adoptedBlocks.add(adopting);
      try {
        return rebuild(settings as Settings);
      } catch (error) {
        // Settings that do not fit the block (an unknown typecode, a negative length) are data
        // from another process: refuse the record, whatever the constructor threw.
        if (error instanceof InvalidStateError) throw error;
        throw new InvalidStateError(`${what}: its settings are refused: ${(error as Error).message} A process of this tree sent a corrupted or forged handle.`, { cause: error });
      } finally {
        adopting = null;
      }
    },
  });
}
