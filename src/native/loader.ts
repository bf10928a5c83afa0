// Loads the native addon built at install time (build/Release/multiproc.node). Where it is
// missing or refused, the package still loads and runs its pure-JS paths; what needs the addon
// says why it is unavailable and how to fix it. MULTIPROC_NO_NATIVE=1 skips it on purpose.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { NativeBinding } from './binding.js';

const addonPath = fileURLToPath(new URL('../../build/Release/multiproc.node', import.meta.url));

let binding: NativeBinding | null | undefined;
let unavailableReason = '';

function load(): NativeBinding | null {
  if (process.env.MULTIPROC_NO_NATIVE === '1') {
    unavailableReason = 'it was turned off with MULTIPROC_NO_NATIVE=1';
    return null;
  }
  if (process.platform !== 'linux') {
    unavailableReason = `it supports Linux only, and this is ${process.platform}`;
    return null;
  }
  if (!existsSync(addonPath)) {
    unavailableReason =
      `it was not built (looked for ${addonPath}). Building it needs a C++ compiler (g++), make, python3 ` +
      "and Node's headers (<node prefix>/include/node); install them, then run `npm rebuild multiproc`";
    return null;
  }
  try {
    return createRequire(import.meta.url)(addonPath) as NativeBinding;
  } catch (error) {
    unavailableReason = `loading ${addonPath} failed: ${(error as Error).message}. Rebuild it with \`npm rebuild multiproc\``;
    return null;
  }
}

/** The addon, or null when it is unavailable (see nativeUnavailableReason). */
export function loadNative(): NativeBinding | null {
  if (binding === undefined) binding = load();
  return binding;
}

/** Why the addon is unavailable ('' when it is loaded). */
export function nativeUnavailableReason(): string {
  loadNative();
  return unavailableReason;
}

/** The addon, or an Error saying that `feature` needs it, why it is missing and what still works. */
export function requireNative(feature: string): NativeBinding {
  const native = loadNative();
  if (native) return native;
  const error = new Error(
    `${feature} needs multiproc's native addon, which is unavailable: ${unavailableReason}. ` +
      'Pools, processes and the thread context work without it.',
  );
  Object.defineProperty(error, 'code', { value: 'ERR_MP_NATIVE_UNAVAILABLE', enumerable: true });
  throw error;
}
