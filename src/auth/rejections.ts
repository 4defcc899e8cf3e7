import type { ServerResponse } from 'node:http';
import type { ErrorCode } from '../errors.js';
import { type PreparedProblem, problemBody, sendProblem } from '../http/index.js';
import type { AuthFailureReason } from './types.js';

/**
 * A precomputed refusal: status, headers and problem+json body are built once at module load by the team's
 * `problemBody`, so refusing a request allocates nothing and builds no Error (PERF-NOTES: a rejection must
 * not cost more than an accept).
 */
export interface Rejection extends PreparedProblem {
  readonly reason: AuthFailureReason;
}

// RFC 6750 §3: a missing token gets a bare challenge; a bad one says `invalid_token`; a low role
// `insufficient_scope`. No realm (DESIGN §11 "Tokens").
const CHALLENGE_MISSING = 'Bearer';
const CHALLENGE_INVALID = 'Bearer error="invalid_token"';
const CHALLENGE_SCOPE = 'Bearer error="insufficient_scope"';

const DETAIL_INVALID = 'Could not validate credentials.';

function make(
  reason: AuthFailureReason,
  status: number,
  code: ErrorCode,
  detail: string,
  extra: readonly string[],
): Rejection {
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  for (let i = 0; i < extra.length; i += 2) headers[extra[i]!] = extra[i + 1]!;
  return Object.freeze({ ...problemBody({ status, code, detail, headers }), reason });
}

function invalid(reason: AuthFailureReason, code: ErrorCode = 'ERR_AUTH_INVALID_TOKEN'): Rejection {
  return make(reason, 401, code, DETAIL_INVALID, ['WWW-Authenticate', CHALLENGE_INVALID]);
}

/** Every refusal the auth middlewares can answer with, by name. */
export const REJECT = Object.freeze({
  missing: make('missing_token', 401, 'ERR_AUTH_MISSING_TOKEN', 'Not authenticated', [
    'WWW-Authenticate',
    CHALLENGE_MISSING,
  ]),
  multiple: make(
    'multiple_authorization',
    400,
    'ERR_AUTH_MULTIPLE_AUTHORIZATION',
    'More than one Authorization header was sent.',
    [],
  ),
  tooLarge: invalid('token_too_large'),
  malformed: invalid('malformed'),
  badAlgorithm: invalid('bad_algorithm'),
  badHeader: invalid('bad_header'),
  unknownKid: invalid('unknown_kid'),
  badSignature: invalid('bad_signature'),
  expired: invalid('expired', 'ERR_AUTH_TOKEN_EXPIRED'),
  notYetValid: invalid('not_yet_valid'),
  issuedInFuture: invalid('issued_in_future'),
  badIssuer: invalid('bad_issuer'),
  badAudience: invalid('bad_audience'),
  missingClaim: invalid('missing_claim'),
  badType: invalid('bad_type'),
  badClaims: invalid('bad_claims'),
  superuserMismatch: invalid('superuser_mismatch'),
  revoked: make('revoked', 401, 'ERR_AUTH_TOKEN_REVOKED', 'Token has been revoked.', [
    'WWW-Authenticate',
    CHALLENGE_INVALID,
  ]),
  revocationUnavailable: make(
    'revocation_unavailable',
    503,
    'ERR_AUTH_REVOCATION_UNAVAILABLE',
    'Token revocation check unavailable.',
    ['Retry-After', '5'],
  ),
  inactive: make('inactive_user', 403, 'ERR_AUTH_INACTIVE_USER', 'Inactive user', []),
  insufficientRole: make(
    'insufficient_role',
    403,
    'ERR_AUTH_INSUFFICIENT_ROLE',
    "The user doesn't have enough privileges",
    ['WWW-Authenticate', CHALLENGE_SCOPE],
  ),
});

/** `Signing keys unavailable.` with `Retry-After: n` for n = 1…10 (the JWKS cooldown), index = seconds. */
export const REJECT_KEYS_UNAVAILABLE: readonly Rejection[] = Object.freeze(
  Array.from({ length: 11 }, (_, i) =>
    make('keys_unavailable', 503, 'ERR_AUTH_KEYS_UNAVAILABLE', 'Signing keys unavailable.', [
      'Retry-After',
      String(Math.max(1, i)),
    ]),
  ),
);

/** Writes a precomputed refusal. Headers set earlier by other middlewares (request id…) are kept. */
export function sendRejection(res: ServerResponse, rejection: Rejection): void {
  if (res.headersSent) return;
  sendProblem(res, rejection);
}
