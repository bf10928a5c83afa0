// Streams an unbounded input through a pool: only a few tasks are read ahead at any time.
import { isMain, Pool } from 'multiproc';
import { isPrime } from './tasks.ts';

function* naturals() {
  for (let n = 0; ; n++) yield n;
}

if (isMain(import.meta.url)) {
  await using pool = new Pool({ context: 'thread' });
  let primes = 0;
  let checked = 0;
  for await (const prime of pool.imap(isPrime, naturals(), { chunkSize: 100 })) {
    if (prime) primes++;
    if (++checked === 100_000) break;
  }
  console.log(`${primes} primes below ${checked}`);
}
