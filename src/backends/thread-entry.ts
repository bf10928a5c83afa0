// Entry of a worker thread started by the 'thread' backend: it installs the parent's
// TypeScript loader if needed, then runs the same bootstrap as a child process.

import { parentPort, workerData } from 'node:worker_threads';
import { bootstrapChild, type ChildInit } from '../child/child-bootstrap.js';
import type { ParentChannel } from './backend.js';
import { installLoaders, type LoaderPlan } from './loaders.js';

const port = parentPort!;
const { init, loaders } = workerData as { init: ChildInit; loaders: LoaderPlan };

const channel: ParentChannel = {
  send: (message) => port.postMessage(message),
  onMessage: (handler) => port.on('message', handler),
  onClose: () => {}, // a thread cannot outlive its process
  unref: () => port.unref(),
  ref: () => port.ref(),
  close: () => port.unref(),
};

await installLoaders(loaders);
await bootstrapChild(channel, init);
