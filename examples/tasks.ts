// Task functions for the examples, registered so that children can import them by name.
import { currentProcess, register } from 'multiproc';

export function square(x: number): number {
  return x * x;
}

export function greet(name: string): void {
  console.log(`hello ${name} from ${currentProcess().name} (pid ${process.pid})`);
}

export function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

register(import.meta.url, { square, greet, isPrime });
