import type { Rejection } from '../auth/rejections.js';
import type { AuthFailureReason } from '../auth/types.js';
import type { ErrorCode } from '../errors.js';
import { problemBody } from '../http/index.js';

/** The detail of every refused key, whatever the reason (unknown, expired, revoked, malformed). */
const INVALID_API_KEY_DETAIL = 'Invalid or expired API key';

function make(
  reason: AuthFailureReason,
  status: number,
  code: ErrorCode,
  detail: string,
  headers: Record<string, string> = {},
): Rejection {
  return Object.freeze({
    ...problemBody({ status, code, detail, headers: { 'Cache-Control': 'no-store', ...headers } }),
    reason,
  });
}

/** Refusals of the API key path, precomputed once (a refusal allocates nothing). */
export const API_KEY_REJECT = Object.freeze({
  // RFC 9110 §11.6.1: a 401 names the scheme it wants; the key travels in its own header, not Authorization.
  invalid: make('invalid_api_key', 401, 'ERR_AUTH_INVALID_API_KEY', INVALID_API_KEY_DETAIL, {
    'WWW-Authenticate': 'ApiKey header="X-API-Key"',
  }),
  both: make(
    'ambiguous_credentials',
    400,
    'ERR_AUTH_AMBIGUOUS_CREDENTIALS',
    'Send either an Authorization header or an X-API-Key header, not both.',
  ),
  duplicate: make(
    'ambiguous_credentials',
    400,
    'ERR_AUTH_AMBIGUOUS_CREDENTIALS',
    'More than one X-API-Key header was sent.',
  ),
  unavailable: make(
    'api_key_unavailable',
    503,
    'ERR_AUTH_API_KEY_UNAVAILABLE',
    'API key check unavailable.',
    {
      'Retry-After': '5',
    },
  ),
});

/** Longest Retry-After passed on from the issuer, in seconds. */
export const MAX_RETRY_AFTER_SECONDS = 3600;
const rateLimited = new Map<number, Rejection>();

/** `429` with the issuer's `Retry-After` (whole seconds, 1 … 3600), built once per distinct value. */
export function rateLimitedRejection(seconds: number): Rejection {
  let rejection = rateLimited.get(seconds);
  if (rejection === undefined) {
    rejection = make(
      'api_key_rate_limited',
      429,
      'ERR_AUTH_API_KEY_RATE_LIMITED',
      'Too many API key checks; retry later.',
      { 'Retry-After': String(seconds) },
    );
    rateLimited.set(seconds, rejection);
  }
  return rejection;
}
