// What every synchronization object (and shared value or array) shares: a block of shared
// words, allocated when it is created here and adopted when it arrives from another process or
// thread, and a codec handle type so it travels as a reference to the same words (plus a few
// plain settings). A received object is rebuilt explicitly, by its class's fromRecord, which
// hands the constructor an Adoption: the constructor then takes that block (its words hold live
// state) instead of allocating one and writing initial values.

import { allocateBytes, type BlockRecord, blockFromRecord, blockToRecord, type SharedBlock } from '../memory/arena.js';
import { InvalidStateError } from '../base/errors.js';
import { type Destination, registerHandleType } from '../tasks/codec.js';

/** A block that arrived from elsewhere, for the constructor of the object it belongs to. */
export class Adoption {
  readonly block: SharedBlock;
  /** What is being rebuilt ("Received lock"), for errors. */
  readonly what: string;

  constructor(block: SharedBlock, what: string) {
    this.block = block;
    this.what = what;
  }
}

/**
 * The block a constructor uses: the adopted one (checked to hold `byteLength` bytes, which the
 * record's settings asked for), else a new zeroed one.
 */
export function blockFor(adoption: Adoption | undefined, byteLength: number): SharedBlock {
  if (!(adoption instanceof Adoption)) return allocateBytes(byteLength);
  const { block, what } = adoption;
  if (block.byteLength < byteLength) {
    throw new InvalidStateError(
      `${what}: its settings need ${byteLength} bytes of shared memory, but the block it names has ${block.byteLength}. A process of this tree sent a corrupted or forged handle.`,
    );
  }
  return block;
}

/**
 * The key under which fromRecord hands an Adoption to a constructor that takes an options object
 * (Value, SharedArray): a key no caller outside multiproc can write, so the public signature stays
 * Python's, and generic constructors keep a single signature.
 */
export const ADOPTION: unique symbol = Symbol('multiproc.adoption');

/** An options object that may carry an Adoption (only fromRecord writes one). */
export type WithAdoption<Options> = Options & { readonly [ADOPTION]?: Adoption };

/** True when a constructor is rebuilding a received object: its words hold live state, not initial values. */
export function isAdoption(adoption: Adoption | undefined): adoption is Adoption {
  return adoption instanceof Adoption;
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
 * Lets a class travel as a handle: `settingsOf` gives the plain data it needs again,
 * `fromRecord` rebuilds it over the adopted block (the class's static fromRecord).
 */
export function registerSharedType<T extends SharedWords, Settings>(
  tag: string,
  type: abstract new (...args: never[]) => T,
  settingsOf: (object: T, destination: Destination, where: string) => Settings,
  fromRecord: (adoption: Adoption, settings: Settings) => T,
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
      const adoption = new Adoption(blockFromRecord(block, what), what);
      try {
        return fromRecord(adoption, settings as Settings);
      } catch (error) {
        // Settings that do not fit the block (an unknown typecode, a negative length) are data
        // from another process: refuse the record, whatever the constructor threw.
        if (error instanceof InvalidStateError) throw error;
        throw new InvalidStateError(`${what}: its settings are refused: ${(error as Error).message} A process of this tree sent a corrupted or forged handle.`, { cause: error });
      }
    },
  });
}
