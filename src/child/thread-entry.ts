// Entry of a worker thread started by the 'thread' backend: it installs the parent's
// TypeScript loader if needed, waits for its ChildInit (a spare waits here, booted), then runs
// the same bootstrap as a child process.

import { parentPort, workerData } from 'node:worker_threads';
import { bootstrapChild, type ChildInit } from './child-bootstrap.js';
import { CHILD_BOOTED, type ParentChannel } from '../backends/backend.js';
import { installLoaders, type LoaderPlan } from '../backends/loaders.js';

const port = parentPort!;
const { loaders } = workerData as { loaders: LoaderPlan };

// One listener for the thread's life: the first message is the init; later ones wait in
// `early` until the bootstrap has set its handler, so none is lost in between.
let handler: ((message: unknown) => void) | null = null;
const early: unknown[] = [];
let resolveInit!: (init: ChildInit) => void;
const initArrived = new Promise<ChildInit>((resolve) => {
  resolveInit = resolve;
});
let hasInit = false;
port.on('message', (message: unknown) => {
  if (!hasInit) {
    hasInit = true;
    resolveInit(message as ChildInit);
  } else if (handler) handler(message);
  else early.push(message);
});

const channel: ParentChannel = {
  send: (message) => port.postMessage(message),
  onMessage: (next) => {
    handler = next;
    for (const message of early.splice(0)) next(message);
  },
  onClose: () => {}, // a thread cannot outlive its process
  unref: () => port.unref(),
  ref: () => port.ref(),
  close: () => port.unref(),
};

await installLoaders(loaders);
port.postMessage(CHILD_BOOTED);
await bootstrapChild(channel, await initArrived);
