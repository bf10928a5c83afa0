// The authkey handshake of Listener and Client, as Python's multiprocessing.connection
// (deliver_challenge / answer_challenge): each side proves it holds the key without sending
// it, by answering a random challenge with its HMAC-SHA256. The listener challenges first, then
// the client does; a wrong answer gets "#FAILURE#" and fails both sides.
//
// Messages, each one handshake frame (socket-transport.ts) of at most 256 bytes:
//   challenge  "#CHALLENGE#" + "{sha256}" + 40 random bytes
//   answer     "{sha256}" + HMAC-SHA256(authkey, "{sha256}" + the random bytes)
//   verdict    "#WELCOME#" or "#FAILURE#"

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthenticationError } from '../base/errors.js';
import type { HandshakeLink } from './socket-transport.js';

const CHALLENGE = Buffer.from('#CHALLENGE#');
const WELCOME = Buffer.from('#WELCOME#');
const FAILURE = Buffer.from('#FAILURE#');
const DIGEST = 'sha256';
const DIGEST_PREFIX = Buffer.from(`{${DIGEST}}`);
/** Random bytes in a challenge (Python's MESSAGE_LENGTH), and the fewest accepted in one. */
const RANDOM_BYTES = 40;
const MIN_RANDOM_BYTES = 20;

/** The listener's side: challenges the client, then answers the client's challenge. */
export function authenticateListenerSide(link: HandshakeLink, authkey: Uint8Array, where: string): Promise<void> {
  return runHandshake(link, where, async () => {
    await deliverChallenge(link, authkey, where);
    await answerChallenge(link, authkey, where);
  });
}

/** The client's side: answers the listener's challenge, then challenges it. */
export function authenticateClientSide(link: HandshakeLink, authkey: Uint8Array, where: string): Promise<void> {
  return runHandshake(link, where, async () => {
    await answerChallenge(link, authkey, where);
    await deliverChallenge(link, authkey, where);
  });
}

/** Runs the steps; whatever fails on the way (a closed socket, a refused frame) is an AuthenticationError. */
async function runHandshake(link: HandshakeLink, where: string, steps: () => Promise<void>): Promise<void> {
  try {
    await steps();
  } catch (error) {
    if (error instanceof AuthenticationError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new AuthenticationError(`${where}: the authkey handshake over the ${link.describe()} failed: ${reason}`, { cause: error });
  }
}

async function deliverChallenge(link: HandshakeLink, authkey: Uint8Array, where: string): Promise<void> {
  const message = Buffer.concat([DIGEST_PREFIX, randomBytes(RANDOM_BYTES)]);
  link.sendHandshake(Buffer.concat([CHALLENGE, message]));
  const answer = await link.receiveHandshake();
  const expected = answerTo(authkey, message);
  // timingSafeEqual: how long the comparison takes says nothing about the expected digest.
  if (answer.byteLength !== expected.length || !timingSafeEqual(answer, expected)) {
    link.sendHandshake(FAILURE);
    throw new AuthenticationError(`${where}: the peer over the ${link.describe()} answered the authkey challenge wrongly: it holds a different authkey.`);
  }
  link.sendHandshake(WELCOME);
}

async function answerChallenge(link: HandshakeLink, authkey: Uint8Array, where: string): Promise<void> {
  const challenge = Buffer.from(await link.receiveHandshake());
  const message = challenge.subarray(CHALLENGE.length);
  if (!challenge.subarray(0, CHALLENGE.length).equals(CHALLENGE) || !message.subarray(0, DIGEST_PREFIX.length).equals(DIGEST_PREFIX)) {
    throw new AuthenticationError(`${where}: the peer over the ${link.describe()} did not send an authkey challenge multiproc understands ("#CHALLENGE#{sha256}" and random bytes).`);
  }
  if (message.length - DIGEST_PREFIX.length < MIN_RANDOM_BYTES) {
    throw new AuthenticationError(`${where}: the authkey challenge from the ${link.describe()} is too short (${message.length} bytes).`);
  }
  link.sendHandshake(answerTo(authkey, message));
  const verdict = Buffer.from(await link.receiveHandshake());
  if (!verdict.equals(WELCOME)) {
    throw new AuthenticationError(`${where}: the peer over the ${link.describe()} rejected this end's answer to its authkey challenge: the two ends hold different authkeys.`);
  }
}

/** "{sha256}" + HMAC-SHA256(authkey, message), as Python 3.12's _create_response. */
function answerTo(authkey: Uint8Array, message: Uint8Array): Buffer {
  return Buffer.concat([DIGEST_PREFIX, createHmac(DIGEST, authkey).update(message).digest()]);
}
