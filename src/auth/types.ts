import type http from 'node:http';
import type { JWTPayload } from 'jose';
import type { Logger } from 'pino';
import type { DbEngine } from '../db/types.js';
import type { AuthObserver as Hooks } from '../observers.js';
import type { EventStreamHooks } from './events/index.js';

/** A {@link DbEngine} of any table types (the keys table is addressed by name). */
export type ApiKeyDbEngine = Pick<DbEngine<unknown>, 'kind' | 'target'> & { readonly db: object };

/** The fa-auth-m8 roles, lowest first. `superadmin > admin > writer > reader > user`. */
export const ROLES = ['user', 'reader', 'writer', 'admin', 'superadmin'] as const;

/** A role minted by fa-auth-m8. */
export type Role = (typeof ROLES)[number];

/** The authenticated caller, built once per verified token and frozen. Set as `req.user`. */
export interface AuthUser {
  /** `sub`: the user's UUID (fa-auth-m8), or the issuer's subject identifier (oidc). */
  readonly id: string;
  /** `email`: required by the fa-auth-m8 profile, so always an address there; optional under oidc. */
  readonly email: string | null;
  /** `full_name`, or `null`. */
  readonly fullName: string | null;
  /** `avatar`, or `null`. */
  readonly avatar: string | null;
  /** `role`; `user` when the claim is absent. Under oidc the highest of `roles` on the hierarchy, else `user`. */
  readonly role: Role;
  /** Every role the credential carries (fa-auth-m8: `[role]`). */
  readonly roles: readonly string[];
  /** Scopes: the union of `scope`, `scp` and `permissions` (fa-auth-m8: from `scope` when present, else []). */
  readonly scopes: readonly string[];
  /** `iss` of the token; `null` for API keys. */
  readonly issuer: string | null;
  /** How the caller authenticated. */
  readonly authMethod: 'jwt' | 'api_key';
  /** `is_active`; `true` when absent. */
  readonly isActive: boolean;
  /** `is_superuser`; `false` when absent. Always equals `role === 'superadmin'`. */
  readonly isSuperuser: boolean;
  /** `email_verified`; `false` when absent. */
  readonly emailVerified: boolean;
  /** `tenant_id` (a UUID) or `null`. */
  readonly tenantId: string | null;
  /** `jti`: the token id (`null` when the token has none, or for API keys). */
  readonly jti: string | null;
  /** Every claim of the token, frozen. */
  readonly claims: Readonly<JWTPayload>;
}

/**
 * Why a request was refused. A bounded set: the metrics module uses it as the `reason` label of
 * `auth_failures_total`.
 */
export type AuthFailureReason =
  | 'missing_token'
  | 'multiple_authorization'
  | 'token_too_large'
  | 'malformed'
  | 'bad_algorithm'
  | 'bad_header'
  | 'unknown_kid'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'bad_issuer'
  | 'bad_audience'
  | 'missing_claim'
  | 'bad_type'
  | 'bad_claims'
  | 'superuser_mismatch'
  | 'revoked'
  | 'revocation_unavailable'
  | 'keys_unavailable'
  | 'inactive_user'
  | 'insufficient_role'
  | 'ambiguous_credentials'
  | 'invalid_api_key'
  | 'api_key_unavailable'
  | 'api_key_rate_limited'
  | 'insufficient_scope';

/**
 * The outcome of one revocation check (label `result` of `revocation_checks_total`). `cached` is a hit of the
 * positive cache; `unavailable` is a 5xx, 429, timeout or transport error refused in fail_closed mode and
 * `fail_open` the same accepted in fail_open mode. `dns_error` is an issuer host that does not resolve
 * (`ENOTFOUND`/`EAI_AGAIN`), in either mode (refused in fail_closed, accepted in fail_open). `malformed`
 * includes a reply over 64 KiB.
 */
export type RevocationResult =
  | 'active'
  | 'revoked'
  | 'cached'
  | 'subject_mismatch'
  | 'malformed'
  | 'unknown_schema'
  | 'credential_rejected'
  | 'unavailable'
  | 'fail_open'
  | 'dns_error';

/** The outcome of one JWKS fetch attempt (label `result` of `jwks_refresh_total`). */
export type JwksRefreshResult =
  | 'success'
  | 'bad_status'
  | 'redirect'
  | 'timeout'
  | 'too_large'
  | 'transport_error'
  | 'invalid_body'
  | 'no_usable_keys';

/** Internal hooks the metrics module installs (`src/observers.ts`), with auth's label words. */
export type AuthObserver = Hooks<AuthFailureReason, RevocationResult, JwksRefreshResult>;

/** Options of {@link buildAuthDeps}: what touches the outside world, swappable in tests. */
export interface BuildAuthDepsOptions {
  /** The clock, in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Where failures and warnings go. Default: a pino logger at `LOG_LEVEL`. */
  logger?: Logger;
  /** Metrics hooks. With metrics on, `createApp` replaces them with its own when this is its `lifecycle.auth`. */
  observer?: AuthObserver;
  /** Keep-alive agent for `http:` revocation and JWKS URLs (not closed by `close()` when given). */
  httpAgent?: http.Agent;
  /** Keep-alive agent for `https:` URLs (not closed by `close()` when given). */
  httpsAgent?: http.Agent;
  /** Timeouts in ms; defaults are the contract (JWKS 5000, revocation connect 2000 and total 3000). */
  timeouts?: { jwksMs?: number; revocationConnectMs?: number; revocationTotalMs?: number };
  /** Bound of the verified-token cache (entries). Default 10 000; 0 disables it. */
  verifiedCacheSize?: number;
  /** Bound of the positive revocation cache (entries). Default 10 000. */
  revocationCacheSize?: number;
  /** Seams of the revocation event stream for tests (timers, jitter). */
  eventStream?: EventStreamHooks;
  /**
   * The database engine holding `{TABLES_PREFIX}_api_keys`; required when `API_KEYS=local`. Pending
   * `last_used_at` writes are flushed by `close()`, so close auth before disposing the engine (createApp does).
   */
  db?: ApiKeyDbEngine;
  /** Bound of each API key cache (known keys, looked-up prefixes). Default 10 000. */
  apiKeyCacheSize?: number;
}

/** Mutable context shared by the auth parts: the logger and observer can be swapped after construction. */
export interface AuthContext {
  logger: Logger;
  observer: AuthObserver | undefined;
}
