// Python: with Pool(4) as pool: print(pool.map(square, range(10)))
import { isMain, Pool } from 'multiproc';
import { square } from './tasks.ts';

if (isMain(import.meta.url)) {
  await using pool = new Pool(4);
  console.log(await pool.map(square, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  console.log(await pool.apply(square, [12]));
  const pending = pool.applyAsync(square, [7]);
  console.log(await pending.get(1000));
}
