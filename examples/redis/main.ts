// Python:
//     with Pool(processes=4) as pool:
//         print(pool.map(collatz_steps, range(1, 11)))
// The same Pool, its tasks run by `multiproc worker` processes on any machine that reaches Redis.
//
// Run it by hand (each worker machine needs a copy of examples/redis/; tsx lets Node import .ts):
//   1. redis-server --port 6379
//   2. export MULTIPROC_REDIS_URL=redis://127.0.0.1:6379      (read by the workers and by this program)
//   3. NODE_OPTIONS='--import tsx' npx multiproc worker --root examples/redis
//      (as many as you like, on as many machines; `--url redis://...` instead of the variable also works)
//   4. node --import tsx examples/redis/main.ts
// In a checkout of multiproc itself, `node dist/cli.js` stands for `npx multiproc`.
// The URL is the first argument, else $MULTIPROC_REDIS_URL, else redis://127.0.0.1:6379; it may
// carry a password (redis://:secret@host:6379) or use TLS (rediss://).
import { fileURLToPath } from 'node:url';
import { Pool } from 'multiproc';
import { collatzSteps } from './tasks.ts';

const url = process.argv[2] ?? process.env.MULTIPROC_REDIS_URL ?? 'redis://127.0.0.1:6379';
// Tasks name their module relative to this directory; each worker's --root is its counterpart.
const root = fileURLToPath(new URL('.', import.meta.url));

// stallTimeout: with no worker running, fail after a minute instead of waiting forever.
await using pool = new Pool({ context: 'redis', url, root, stallTimeout: 60_000 });

console.log(await pool.map(collatzSteps, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));

// 9,999 items go out in chunks (one Redis job per chunk); results come back in input order.
const numbers = Array.from({ length: 9999 }, (_, index) => index + 1);
const steps = await pool.map(collatzSteps, numbers);
const longest = steps.indexOf(Math.max(...steps));
console.log(`below 10000, ${numbers[longest]} takes the most steps: ${steps[longest]}`);

console.log(`apply: 27 takes ${await pool.apply(collatzSteps, [27])} steps`);
