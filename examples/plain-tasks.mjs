// A task module in plain JavaScript, for programs run by plain `node` without a TypeScript loader.
import { register } from 'multiproc';

export function cube(x) {
  return x * x * x;
}

register(import.meta.url, { cube });
