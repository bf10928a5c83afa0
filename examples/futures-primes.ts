// The prime-checking example of Python's concurrent.futures documentation.
import { asCompleted, isMain, ProcessPoolExecutor } from 'multiproc';
import { isPrime } from './tasks.ts';

const PRIMES = [112272535095293, 112582705942171, 112272535095293, 115280095190773, 115797848077099, 1099726899285419];

if (isMain(import.meta.url)) {
  await using executor = new ProcessPoolExecutor();
  let index = 0;
  for await (const prime of executor.map(isPrime, PRIMES)) console.log(`${PRIMES[index++]} is prime: ${prime}`);

  const futures = PRIMES.map((n) => executor.submit(isPrime, n));
  let primes = 0;
  for await (const future of asCompleted(futures)) if (await future.result()) primes += 1;
  console.log(`${primes} of ${futures.length} are prime`);
}
