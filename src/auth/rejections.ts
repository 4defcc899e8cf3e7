import type { ServerResponse } from 'node:http';
import type { ErrorCode } from '../errors.js';
import { type PreparedProblem, problemBody, sendProblem } from '../http/index.js';
import type { AuthFailureReason } from './types.js';

/**
 * A precomputed refusal: status, headers and problem+json body are built once at module load by the team's
 * `problemBody`, so refusing a request allocates nothing and builds no Error (docs/architecture.md, "Speed": a rejection must
 * not cost more than an accept).
 */
export interface Rejection extends PreparedProblem {
  readonly reason: AuthFailureReason;
  /**
   * The claim the failing check was about (`aud`, `exp`, `realm_access.roles`…), for the log line: a name
   * from our own checks or configuration, never a value taken from the token.
   */
  readonly claim?: string;
}

// RFC 6750 §3: a missing token gets a bare challenge; a bad one says `invalid_token`; a low role
// `insufficient_scope`. No realm (docs/auth.md).
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
  expired: Object.freeze({ ...invalid('expired', 'ERR_AUTH_TOKEN_EXPIRED'), claim: 'exp' }),
  notYetValid: Object.freeze({ ...invalid('not_yet_valid'), claim: 'nbf' }),
  issuedInFuture: Object.freeze({ ...invalid('issued_in_future'), claim: 'iat' }),
  badIssuer: Object.freeze({ ...invalid('bad_issuer'), claim: 'iss' }),
  badAudience: Object.freeze({ ...invalid('bad_audience'), claim: 'aud' }),
  missingClaim: invalid('missing_claim'),
  badType: Object.freeze({ ...invalid('bad_type'), claim: 'type' }),
  badClaims: invalid('bad_claims'),
  superuserMismatch: Object.freeze({ ...invalid('superuser_mismatch'), claim: 'is_superuser' }),
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

const byClaim = new Map<string, Rejection>();

/**
 * `rejection` naming `claim`, built once per pair and reused. Callers pass claim names from our own checks or
 * settings only (a bounded set), never one read from a token.
 */
export function withClaim(rejection: Rejection, claim: string): Rejection {
  const key = `${rejection.reason}\n${rejection.code}\n${claim}`;
  let found = byClaim.get(key);
  if (found === undefined) {
    found = Object.freeze({ ...rejection, claim });
    byClaim.set(key, found);
  }
  return found;
}

/**
 * The 403 of a scope or claim guard: `insufficient_scope` naming the required scopes (RFC 6750 §3), made once
 * per guard. `scopes` are checked by the caller to be header-safe scope tokens.
 */
export function insufficientScope(scopes: readonly string[], detail: string): Rejection {
  const challenge = scopes.length > 0 ? `${CHALLENGE_SCOPE}, scope="${scopes.join(' ')}"` : CHALLENGE_SCOPE;
  return Object.freeze({
    ...make('insufficient_scope', 403, 'ERR_AUTH_INSUFFICIENT_SCOPE', detail, [
      'WWW-Authenticate',
      challenge,
    ]),
    claim: 'scope',
  });
}

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
