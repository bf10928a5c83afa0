// Splitting input into tasks. Python's rule for map's automatic chunk size: the input is cut
// into about four chunks per worker, so each worker gets a few large messages.

/** Python's Pool._map_async: ceil(length / (4 * processes)), 0 for an empty input. */
export function automaticChunkSize(length: number, processes: number): number {
  if (length === 0) return 0;
  return Math.ceil(length / (processes * 4));
}

/** Reads a sync or async iterable to the end (map needs the length to choose chunks). */
export async function collect<T>(iterable: Iterable<T> | AsyncIterable<T>): Promise<T[]> {
  if (Array.isArray(iterable)) return iterable;
  if (Symbol.asyncIterator in iterable) {
    const items: T[] = [];
    for await (const item of iterable) items.push(item);
    return items;
  }
  return Array.from(iterable);
}

export function isIterable(value: unknown): value is Iterable<unknown> | AsyncIterable<unknown> {
  if (value === null || value === undefined) return false;
  return (
    typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function' ||
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}
