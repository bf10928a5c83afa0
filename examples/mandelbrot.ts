// The demo's task module: one row of the Mandelbrot set as grey levels. Registered, so pool
// workers import this module and find `renderRow` by name.
import { register } from 'multiproc';

export function renderRow(y: number, width: number, height: number, maxIterations: number): Uint8Array {
  const row = new Uint8Array(width);
  const imaginary = (y / height) * 2.4 - 1.2;
  for (let x = 0; x < width; x++) {
    const real = (x / width) * 3.5 - 2.5;
    let zr = 0;
    let zi = 0;
    let iteration = 0;
    while (iteration < maxIterations && zr * zr + zi * zi <= 4) {
      const next = zr * zr - zi * zi + real;
      zi = 2 * zr * zi + imaginary;
      zr = next;
      iteration++;
    }
    row[x] = iteration === maxIterations ? 0 : 255 - Math.floor((255 * iteration) / maxIterations);
  }
  return row;
}

register(import.meta.url, { renderRow });
