import type { JWTPayload } from 'jose';
import { REJECT, type Rejection } from './rejections.js';
import { type AuthUser, ROLES, type Role } from './types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Deliberately simple (one @, no spaces or control characters, a dot in the domain): the issuer validated
// the address; this only refuses values that are clearly not one.
const EMAIL = /^[^\s@\p{Cc}]{1,64}@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]+$/u;
const MAX_TEXT = 1024;

const ROLE_SET: ReadonlySet<string> = new Set(ROLES);

function optionalText(value: unknown): string | null | undefined {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' && value.length <= MAX_TEXT ? value : undefined;
}

function optionalBool(value: unknown, fallback: boolean): boolean | undefined {
  if (value === undefined) return fallback;
  return typeof value === 'boolean' ? value : undefined;
}

/**
 * Turns verified claims into the frozen `req.user`, or a refusal. Every malformed claim is a 401, never an
 * exception: `sub` and `tenant_id` must be UUIDs, `email` a present address, `role` one of {@link ROLES},
 * booleans booleans. `role == superadmin` must go with `is_superuser == true` and vice versa.
 */
export function userFromClaims(claims: JWTPayload): AuthUser | Rejection {
  if (claims.type !== 'access') return REJECT.badType;
  const sub = claims.sub;
  if (typeof sub !== 'string' || !UUID.test(sub)) return REJECT.badClaims;
  const jti = claims.jti;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) return REJECT.badClaims;
  // fa-auth-m8 mints `email` in every access token: one without it (or with null) was not minted by it.
  const email = claims.email;
  if (typeof email !== 'string' || !EMAIL.test(email)) return REJECT.badClaims;
  const rawTenant = claims.tenant_id;
  if (
    rawTenant !== undefined &&
    rawTenant !== null &&
    (typeof rawTenant !== 'string' || !UUID.test(rawTenant))
  ) {
    return REJECT.badClaims;
  }
  const rawRole = claims.role === undefined ? 'user' : claims.role;
  if (typeof rawRole !== 'string' || !ROLE_SET.has(rawRole)) return REJECT.badClaims;
  const fullName = optionalText(claims.full_name);
  const avatar = optionalText(claims.avatar);
  const isActive = optionalBool(claims.is_active, true);
  const isSuperuser = optionalBool(claims.is_superuser, false);
  const emailVerified = optionalBool(claims.email_verified, false);
  if (
    fullName === undefined ||
    avatar === undefined ||
    isActive === undefined ||
    isSuperuser === undefined ||
    emailVerified === undefined
  ) {
    return REJECT.badClaims;
  }
  const role = rawRole as Role;
  if ((role === 'superadmin') !== isSuperuser) return REJECT.superuserMismatch;
  return Object.freeze({
    id: sub,
    email,
    fullName,
    avatar,
    role,
    isActive,
    isSuperuser,
    emailVerified,
    tenantId: (rawTenant as string | null | undefined) ?? null,
    jti,
    claims: Object.freeze(claims),
    roles: Object.freeze([role]),
    scopes: scopesOf(claims.scope),
    issuer: typeof claims.iss === 'string' ? claims.iss : null,
    authMethod: 'jwt',
  });
}

const NO_SCOPES: readonly string[] = Object.freeze([]);

/** The space-separated `scope` claim (RFC 8693 §4.2) as a frozen list; `[]` when absent or not a string. */
function scopesOf(scope: unknown): readonly string[] {
  if (typeof scope !== 'string' || scope.length === 0) return NO_SCOPES;
  return Object.freeze(scope.split(' ').filter((s) => s.length > 0));
}
