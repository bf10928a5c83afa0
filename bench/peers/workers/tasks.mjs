// The peers' tasks: the same code as bench/tasks.ts, in plain JavaScript so the peers' worker
// threads load no TypeScript loader. piscina and tinypool call the default export unless a
// task names another export ({ name: 'burn' }).

export function double(x) {
  return x * 2;
}

/** CPU-bound: counts the primes below `limit` by trial division (deterministic). */
export function burn(limit) {
  let count = 0;
  for (let n = 2; n < limit; n++) {
    let isPrime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        isPrime = false;
        break;
      }
    }
    if (isPrime) count++;
  }
  return count;
}

export function noop() {}

export default double;
