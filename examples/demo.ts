// npm run demo: renders the Mandelbrot set once on one core, then on every core with a Pool,
// and prints the speed-up. The image is written to mandelbrot.pgm.
import { writeFileSync } from 'node:fs';
import { cpuCount, cpuInfo, isMain, Pool } from 'multiproc';
import { renderRow } from './mandelbrot.ts';

const WIDTH = 1600;
const HEIGHT = 1200;
const MAX_ITERATIONS = 4000;

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

if (isMain(import.meta.url)) {
  const workers = cpuCount();
  const { model, processors } = cpuInfo();
  console.log(`CPU: ${model} (${processors} processors, ${workers} usable)`);
  const rows = Array.from({ length: HEIGHT }, (_, y) => [y, WIDTH, HEIGHT, MAX_ITERATIONS] as [number, number, number, number]);

  let started = performance.now();
  for (const args of rows) renderRow(...args);
  const serial = seconds(started);
  console.log(`serial:   ${serial.toFixed(2)} s on 1 core`);

  await using pool = new Pool(workers);
  await pool.apply(renderRow, [0, 1, 1, 1]); // start-up is not part of the measurement
  started = performance.now();
  const image = await pool.starmap(renderRow, rows, { chunkSize: 8, progress: true });
  const parallel = seconds(started);
  console.log(`parallel: ${parallel.toFixed(2)} s on ${workers} worker processes`);
  console.log(`speed-up: ${(serial / parallel).toFixed(2)}x`);

  const header = Buffer.from(`P5\n${WIDTH} ${HEIGHT}\n255\n`);
  writeFileSync('mandelbrot.pgm', Buffer.concat([header, ...image]));
  console.log(`wrote mandelbrot.pgm (${WIDTH}x${HEIGHT})`);
}
