// Raw Node: child_process.fork of an empty module, the floor for starting a Node process (W7).
// The child gets no --import tsx (execArgv: []) even when the harness runs under tsx.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { type Figure, peerWorkers, type Settings, startFigure } from '../measure.ts';

export const name = 'raw child_process.fork';
const emptyModule = join(peerWorkers, 'empty.mjs');

/** W7: fork an empty module and wait for its exit. */
export async function w7(s: Settings): Promise<Figure[]> {
  const figure = await startFigure(name, s.startRuns, async () => {
    const child = fork(emptyModule, [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    await once(child, 'exit');
  });
  return [figure];
}
