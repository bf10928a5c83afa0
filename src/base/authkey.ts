// What an authkey may be, in one place: a Process's, a Listener's or Client's. Python takes
// bytes; a string is taken as its UTF-8 bytes, and the key always reads back as bytes.

import { invalidType, invalidValue } from './validate.js';

/**
 * The key's bytes: a copy, so changing the caller's array later changes nothing. An empty key
 * is refused: it is most likely a missing secret (an unset environment variable).
 */
export function checkAuthkey(where: string, authkey: unknown): Uint8Array {
  if (typeof authkey !== 'string' && !(authkey instanceof Uint8Array)) {
    throw invalidType(where, 'a string or a Uint8Array', authkey);
  }
  if (authkey.length === 0) throw invalidValue(where, 'a non-empty string or Uint8Array', authkey);
  return typeof authkey === 'string' ? new Uint8Array(Buffer.from(authkey, 'utf8')) : Uint8Array.from(authkey);
}
