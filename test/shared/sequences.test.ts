// SharedArray, RawArray and ShareableList are Python sequences: negative indexes count from the
// end, an index out of range is a RangeError on read and on write, no other property is written
// through the index operator, and they are iterable. Each rule on each class, here and in a child.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Pool, RawArray, ShareableList, SharedArray } from 'multiproc';
import { loadNative } from '../../src/native/loader.ts';
import { forEachContext } from '../helpers/contexts.ts';

const withoutAddon = loadNative() ? false : 'the native addon is not built here (or MULTIPROC_NO_NATIVE=1)';

/** A sequence of the numbers 1, 2, 3, and what frees it. */
interface Made {
  readonly sequence: SharedArray<'i'> | ShareableList;
  release(): void;
}

const kinds = [
  { name: 'SharedArray', needs: false, make: (): Made => ({ sequence: new SharedArray('i', [1, 2, 3]), release() {} }) },
  { name: 'RawArray', needs: false, make: (): Made => ({ sequence: new RawArray('i', [1, 2, 3]), release() {} }) },
  {
    name: 'ShareableList',
    needs: true,
    make: (): Made => {
      const sequence = new ShareableList([1, 2, 3]);
      return {
        sequence,
        release() {
          sequence.shm.close();
          sequence.shm.unlink();
        },
      };
    },
  },
] as const;

/** A sequence for one test, released after it whatever happens. */
function made(t: { after(fn: () => void): void }, make: () => Made): Made['sequence'] {
  const { sequence, release } = make();
  t.after(release);
  return sequence;
}

/** Loosely typed access, for the keys that JS allows and the sequences must refuse. */
function loose(sequence: object): Record<string, unknown> {
  return sequence as unknown as Record<string, unknown>;
}

for (const { name, needs, make } of kinds) {
  const skip = needs ? withoutAddon : false;

  describe(name, () => {
    test('a negative index reads and writes the item counted from the end', { skip }, (t) => {
      const sequence = made(t, make);
      assert.equal(sequence[-1], 3);
      assert.equal(sequence[-3], 1);
      sequence[-1] = 30;
      sequence[-3] = 10;
      assert.deepEqual(sequence.toArray(), [10, 2, 30]);
      assert.equal(sequence[2], 30);
      assert.equal(sequence.at(-2), 2);
    });

    test('an index out of range is a RangeError naming the index and the length, on read and on write', { skip }, (t) => {
      const sequence = made(t, make);
      for (const index of [3, -4, 1000]) {
        const outOfRange = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: new RegExp(`${name}\\[index\\].*-3\\.\\.2 \\(length 3.*received number ${index}\\.`) };
        assert.throws(() => sequence[index], outOfRange, `read at ${index}`);
        assert.throws(() => {
          sequence[index] = 7;
        }, outOfRange, `write at ${index}`);
      }
      assert.deepEqual(sequence.toArray(), [1, 2, 3]);
    });

    test('an index that is not an integer is a TypeError, as Python says indices must be integers', { skip }, (t) => {
      const sequence = loose(made(t, make));
      for (const key of ['1.5', 'NaN', 'Infinity', '-0.5']) {
        assert.throws(() => sequence[key], { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }, `read at ${key}`);
        assert.throws(() => {
          sequence[key] = 1;
        }, TypeError, `write at ${key}`);
      }
    });

    test('a property that is not an index cannot be written, and nothing is created', { skip }, (t) => {
      const sequence = made(t, make);
      const anyKey = loose(sequence);
      assert.throws(() => {
        anyKey.total = 5;
      }, { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /"total".*this process only/ });
      assert.equal(anyKey.total, undefined);
      assert.equal('total' in sequence, false);
      assert.throws(() => {
        anyKey.length = 1;
      }, { name: 'TypeError', message: /"length" is read-only/ });
      assert.throws(() => {
        anyKey.toArray = () => [];
      }, TypeError);
      assert.throws(() => {
        delete anyKey[0];
      }, { name: 'TypeError', message: /length is fixed/ });
      assert.equal(sequence.length, 3);
      assert.deepEqual(sequence.toArray(), [1, 2, 3]);
    });

    test('unknown properties read as undefined and the methods keep working', { skip }, (t) => {
      const sequence = made(t, make);
      assert.equal(loose(sequence).missing, undefined);
      assert.equal(sequence.constructor.name, name);
      const { toArray } = sequence; // bound: private fields stay reachable
      assert.deepEqual(toArray(), [1, 2, 3]);
      assert.equal(0 in sequence && -3 in sequence, true);
      assert.equal(3 in sequence || -4 in sequence, false);
    });

    test('it is iterable: spread, for...of and Array.from read the current items', { skip }, (t) => {
      const sequence = made(t, make);
      assert.deepEqual([...sequence], [1, 2, 3]);
      sequence[1] = 20;
      const seen: unknown[] = [];
      for (const item of sequence) seen.push(item);
      assert.deepEqual(seen, [1, 20, 3]);
      assert.deepEqual(Array.from(sequence), [1, 20, 3]);
    });
  });

  forEachContext((context) => {
    const inChildSkip = skip || (context === 'process' ? withoutAddon : false);
    test(`a ${name} in a child: the same rules, and its write at -1 is seen here`, { skip: inChildSkip }, async (t) => {
      const sequence = made(t, make);
      const pool = new Pool({ processes: 1, context });
      t.after(() => pool.terminate());
      const report = await pool.apply(
        (received: SharedArray<'i'> | ShareableList) => {
          const errorOf = (action: () => unknown): string => {
            try {
              action();
              return 'none';
            } catch (error) {
              return `${(error as Error).name} ${(error as { code?: string }).code}`;
            }
          };
          const before = [...received];
          const last = received[-1];
          received[-1] = 40;
          return {
            before,
            last,
            outOfRangeRead: errorOf(() => received[3]),
            outOfRangeWrite: errorOf(() => {
              received[-4] = 1;
            }),
            propertyWrite: errorOf(() => {
              (received as unknown as Record<string, unknown>).total = 1;
            }),
          };
        },
        [sequence],
      );
      assert.deepEqual(report, {
        before: [1, 2, 3],
        last: 3,
        outOfRangeRead: 'RangeError ERR_OUT_OF_RANGE',
        outOfRangeWrite: 'RangeError ERR_OUT_OF_RANGE',
        propertyWrite: 'TypeError ERR_INVALID_ARG_VALUE',
      });
      assert.equal(sequence[-1], 40);
      assert.deepEqual([...sequence], [1, 2, 40]);
    });
  });
}

test("a 'c' SharedArray keeps its settable value and iterates as characters", () => {
  const text = new SharedArray('c', 3);
  text.value = 'hi';
  assert.equal(text.value, 'hi');
  assert.equal(text[-2], 'i');
  assert.deepEqual([...text], ['h', 'i', '\0']);
});

test('an empty sequence refuses every index and iterates as nothing', () => {
  const empty = new RawArray('d', 0);
  assert.throws(() => empty[0], { name: 'RangeError', message: /empty \(length 0\)/ });
  assert.throws(() => empty[-1], RangeError);
  assert.deepEqual([...empty], []);
});
