// Task functions for the benchmarks, registered for multiproc's workers.
import { register } from 'multiproc';

export function double(x: number): number {
  return x * 2;
}

/** CPU-bound: counts primes below `limit` (deterministic work, calibrated by the harness). */
export function burn(limit: number): number {
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

export function noop(): void {}

register(import.meta.url, { double, burn, noop });
