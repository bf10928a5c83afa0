// The task module of the redis example: every worker machine has this file under its --root,
// and registers its functions when it imports it, as Python's workers import a task's module.
import { register } from 'multiproc';

/** How many steps of the Collatz rule (n/2 if even, else 3n+1) bring n down to 1. */
export function collatzSteps(n: number): number {
  let steps = 0;
  for (let value = n; value !== 1; steps++) value = value % 2 === 0 ? value / 2 : 3 * value + 1;
  return steps;
}

// A worker runs only the functions their module registered: a task naming anything else is refused.
register(import.meta.url, { collatzSteps });
