// The same pool in plain JavaScript on Node 20, without `await using`.
import { isMain, Pool } from 'multiproc';
import { cube } from './plain-tasks.mjs';

if (isMain(import.meta.url)) {
  const pool = new Pool(2);
  try {
    console.log(await pool.map(cube, [1, 2, 3]));
  } finally {
    pool.close();
    await pool.join();
  }
}
