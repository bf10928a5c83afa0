// The peers' worker: the same two tasks as bench/tasks.ts, in plain JavaScript.
import workerpool from 'workerpool';
import { isMainThread } from 'node:worker_threads';

export function double(x) {
  return x * 2;
}

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

// piscina and tinypool call the default export with the task's argument.
export default function run({ name, arg }) {
  return name === 'burn' ? burn(arg) : double(arg);
}

if (!isMainThread && process.env.BENCH_WORKERPOOL === '1') workerpool.worker({ double, burn });
