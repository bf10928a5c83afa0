// What a failed Redis connection means, shared by the caller's Pool and `multiproc worker`.
// ioredis (under BullMQ) reconnects for ever whatever the error, so the decision is ours:
// - refused credentials and a server certificate this process does not accept are settings to fix,
//   not outages: both sides stop at once with an AuthenticationError saying what to change;
// - a refused, reset or timed-out connection (Redis down, restarting, the network away) is an
//   outage: ioredis keeps retrying and BullMQ resumes once Redis answers again;
// - anything else is reported as it is.

import { AuthenticationError } from '../base/errors.js';
import { describeUrl } from './redis-options.js';

export type RedisFailureKind = 'credentials' | 'certificate' | 'outage' | 'other';

/** Redis's answers to a wrong or missing password (AUTH, or a command before it). */
const CREDENTIALS_REFUSED = /WRONGPASS|NOAUTH|invalid password|invalid username-password/i;

/** Node's codes for a server certificate it does not accept (OpenSSL's verify results, and the host check). */
const CERTIFICATE_CODES = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
]);

/** Socket errors of a server that is down or out of reach: ioredis retries, and so do we. */
const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** ioredis's message for a command on a closed connection, and Redis's answer while it reloads its data. */
const OUTAGE_MESSAGES = /^Connection is closed|^LOADING /;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

export function redisFailureKind(error: unknown): RedisFailureKind {
  const code = codeOf(error);
  const message = messageOf(error);
  if (CREDENTIALS_REFUSED.test(message)) return 'credentials';
  if (code !== undefined && CERTIFICATE_CODES.has(code)) return 'certificate';
  if ((code !== undefined && OUTAGE_CODES.has(code)) || OUTAGE_MESSAGES.test(message)) return 'outage';
  return 'other';
}

/** The cause of an outage in a few words, e.g. "ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:6379)". */
export function describeFailure(error: unknown): string {
  const code = codeOf(error);
  const message = messageOf(error);
  return code === undefined || message.includes(code) ? message : `${code}: ${message}`;
}

function certificateAdvice(code: string | undefined): string {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
    return 'The host in the URL must be one the certificate names (its subjectAltName DNS names or IP addresses).';
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return "Renew the server's certificate, or check this machine's clock.";
  return (
    "If the server's certificate is signed by your own CA, make Node trust that CA: start this process with " +
    'NODE_EXTRA_CA_CERTS=/path/to/ca.pem in its environment (Node reads it only at start).'
  );
}

/**
 * The error that ends every use of a connection `error` refused for good (credentials or
 * certificate), naming `url` without its password; undefined for an outage or another error.
 */
export function refusalError(where: string, url: string, error: unknown): AuthenticationError | undefined {
  const kind = redisFailureKind(error);
  const cause = error instanceof Error ? error : undefined;
  if (kind === 'credentials') {
    return new AuthenticationError(
      `${where}: Redis at ${describeUrl(url)} refused the credentials (${messageOf(error)}). ` +
        "Check the user and password in the URL (redis://user:password@host:port), or the server's requirepass / ACL.",
      { cause },
    );
  }
  if (kind === 'certificate') {
    return new AuthenticationError(
      `${where}: the TLS certificate of Redis at ${describeUrl(url)} is not accepted (${describeFailure(error)}). ${certificateAdvice(codeOf(error))}`,
      { cause },
    );
  }
  return undefined;
}
