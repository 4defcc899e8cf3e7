import type { IncomingMessage } from 'node:http';
import type { Rejection } from '../auth/rejections.js';
import type { AuthUser, Role } from '../auth/types.js';

/** What checking a key gives: the caller, a refusal, or either later (a lookup or an issuer call). */
export type ApiKeyOutcome = AuthUser | Rejection | Promise<AuthUser | Rejection>;

/** Checks `X-API-Key` values; one per AuthDeps, built from `API_KEYS`. */
export interface ApiKeyAuthenticator {
  /** `local` or `introspect`. */
  readonly mode: 'local' | 'introspect';
  /** Synchronous when the answer is cached (local mode), so a known key costs a Map lookup. */
  authenticate(key: string, req: IncomingMessage): ApiKeyOutcome;
  /** Checks what can be checked ahead of the first request (local: the table is readable); never throws. */
  start?(): Promise<void>;
  /** Flushes pending `last_used_at` writes; idempotent. */
  close(): Promise<void>;
}

const EMPTY_CLAIMS = Object.freeze({});

/** The frozen `req.user` of a key: no token, so no `jti`, `iss` or claims. */
export function apiKeyUser(init: {
  readonly id: string;
  readonly role: Role;
  readonly scopes: readonly string[];
  readonly name: string | null;
}): AuthUser {
  return Object.freeze({
    id: init.id,
    email: null,
    fullName: init.name,
    avatar: null,
    role: init.role,
    isActive: true,
    isSuperuser: false,
    emailVerified: false,
    tenantId: null,
    jti: null,
    claims: EMPTY_CLAIMS,
    roles: Object.freeze([init.role]),
    scopes: Object.freeze([...init.scopes]),
    issuer: null,
    authMethod: 'api_key' as const,
  });
}
