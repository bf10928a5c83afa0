// Compile-only checks of how Value, RawValue, SharedArray and RawArray are typed (run by
// `tsc --noEmit`; never executed): precise by typecode, and annotatable by kind of element.
import { type ElementOf, getContext, RawArray, RawValue, SharedArray, type Typecode, Value } from 'multiproc';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertEqual<_ extends true>(): void {}

function addOne(counter: Value<number>): void {
  counter.value += 1;
}
function addOneBig(counter: Value<bigint>): void {
  counter.value += 1n;
}
function rename(text: Value<string>): void {
  text.value = 'x';
}
function total(items: SharedArray<number>): number {
  let sum = 0;
  for (const item of items) sum += item;
  return sum + items[-1];
}
function anyValue(_value: Value): void {}

export function checks(): void {
  // Inference: the typecode is kept, and the value's type follows it.
  const counter = new Value('i', 0);
  assertEqual<Equals<typeof counter, Value<'i'>>>();
  assertEqual<Equals<typeof counter.value, number>>();
  assertEqual<Equals<typeof counter.typecode, 'i'>>();
  const big = new Value('q', 0n);
  assertEqual<Equals<typeof big.value, bigint>>();
  const letter = new Value('c', 'a');
  assertEqual<Equals<typeof letter.value, string>>();
  assertEqual<Equals<ElementOf<'L'>, bigint>>();
  assertEqual<Equals<ElementOf<number>, number>>();

  // A function for any numeric value takes every numeric typecode, raw or not, without a cast.
  addOne(counter);
  addOne(new Value('d', 1.5));
  addOne(new RawValue('B', 1));
  addOne(new (getContext('thread').Value)('h', 2));
  addOneBig(big);
  rename(letter);
  anyValue(counter);
  anyValue(big);
  const raw: RawValue<number> = new RawValue('f', 0.5);
  addOne(raw);
  // @ts-expect-error: a bigint value is not a numeric one
  addOne(big);
  // @ts-expect-error: nor is a character
  addOne(letter);
  // @ts-expect-error: a number value is not a bigint one
  addOneBig(counter);
  // @ts-expect-error: the typecode-precise form stays precise
  const precise: Value<'i'> = new Value('d', 1);
  // @ts-expect-error: 'i' stores numbers
  new Value('i', 0n);
  // @ts-expect-error: 'q' stores bigints
  new Value('q', 'x');
  // @ts-expect-error: not a typecode
  new Value('z', 0);
  // @ts-expect-error: only a number can be written to a numeric value
  counter.value = 'one';

  // Arrays: the same two forms, with typed indexes and iteration.
  const doubles = new SharedArray('d', [1, 2]);
  assertEqual<Equals<typeof doubles[0], number>>();
  total(doubles);
  total(new RawArray('i', 3));
  total(new SharedArray('B', [1], { lock: false }));
  const bigs = new SharedArray('Q', 2);
  assertEqual<Equals<typeof bigs[0], bigint>>();
  assertEqual<Equals<ReturnType<typeof bigs.toArray>, bigint[]>>();
  // @ts-expect-error: a bigint array is not a numeric one
  total(bigs);
  // @ts-expect-error: a 'd' array stores numbers
  doubles[0] = 1n;
  const some: SharedArray = bigs;
  const code: Typecode = some.typecode;
  const raws: RawArray<bigint> = new RawArray('q', [1n]);
  void [precise, code, raws];
}
