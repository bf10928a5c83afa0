// Type-check only (never run, and left out of bench/tsconfig.json's compiled build): the API that
// bench/library.ts declares must be what src/index.ts and src/ipc/index.ts export, so `npm run
// typecheck` fails here when the library's API drifts from the harness.
import type * as Multiproc from '../src/index.ts';
import type * as MultiprocIpc from '../src/ipc/index.ts';
import type { MultiprocApi, MultiprocIpcApi } from './library.ts';

declare const library: typeof Multiproc;
export const conforms: MultiprocApi = library;

declare const ipcLibrary: typeof MultiprocIpc;
export const ipcConforms: MultiprocIpcApi = ipcLibrary;
