import type { JWTPayload } from 'jose';
import type { TokenProfile } from '../settings/types.js';
import { REJECT, type Rejection, withClaim } from './rejections.js';
import { type AuthUser, ROLES, type Role } from './types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Deliberately simple (one @, no spaces or control characters, a dot in the domain): the issuer validated
// the address; this only refuses values that are clearly not one.
const EMAIL = /^[^\s@\p{Cc}]{1,64}@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]+$/u;
const MAX_TEXT = 1024;
const MAX_SUB = 255;
const MAX_JTI = 256;
/** Bound of the roles and scopes read from one token (a list longer than this is not a credential). */
const MAX_ENTRIES = 256;

const ROLE_SET: ReadonlySet<string> = new Set(ROLES);
const RANK: Readonly<Record<Role, number>> = { user: 0, reader: 1, writer: 2, admin: 3, superadmin: 4 };
const NO_STRINGS: readonly string[] = Object.freeze([]);

const bad = (claim: string): Rejection => withClaim(REJECT.badClaims, claim);

/**
 * Freezes the claims and every object and array inside them (`realm_access.roles`…), once per verified token:
 * the user is cached and handed to every request carrying the token, so a handler must not be able to change
 * what a later request's `requireClaim` check reads. Iterative (a token's JSON may nest deeply).
 */
function deepFreeze(claims: JWTPayload): Readonly<JWTPayload> {
  const pending: object[] = [claims];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    Object.freeze(next);
    for (const value of Object.values(next)) {
      if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) pending.push(value);
    }
  }
  return claims;
}

function optionalText(value: unknown): string | null | undefined {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' && value.length <= MAX_TEXT ? value : undefined;
}

function optionalBool(value: unknown, fallback: boolean): boolean | undefined {
  if (value === undefined) return fallback;
  return typeof value === 'boolean' ? value : undefined;
}

/** A space-separated scope string as its entries; `undefined` when it is not a string. */
function spaceList(value: unknown): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  return value.split(' ').filter((s) => s !== '');
}

/** An array of strings (bounded), or `undefined` when the value is anything else. */
function stringArray(value: unknown): readonly string[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_ENTRIES) return undefined;
  for (const entry of value) if (typeof entry !== 'string') return undefined;
  return value as string[];
}

/**
 * The scopes of a token: the union of `scope` (space-separated), `scp` (a string or an array, Entra) and
 * `permissions` (an array, Auth0), in order of first appearance. A claim of another type is a refusal.
 */
function scopesOf(claims: JWTPayload): readonly string[] | Rejection {
  const { scope, scp, permissions } = claims;
  if (scope === undefined && scp === undefined && permissions === undefined) return NO_STRINGS;
  const out = new Set<string>();
  if (scope !== undefined) {
    const list = spaceList(scope);
    if (list === undefined) return bad('scope');
    for (const s of list) out.add(s);
  }
  if (scp !== undefined) {
    const list = typeof scp === 'string' ? spaceList(scp) : stringArray(scp);
    if (list === undefined) return bad('scp');
    for (const s of list) out.add(s);
  }
  if (permissions !== undefined) {
    const list = stringArray(permissions);
    if (list === undefined) return bad('permissions');
    for (const s of list) out.add(s);
  }
  if (out.size > MAX_ENTRIES) return bad('scope');
  return Object.freeze([...out]);
}

/**
 * Turns verified claims into the frozen `req.user`, or a refusal, under the fa-auth-m8 profile. Every malformed
 * claim is a 401, never an exception: `sub` and `tenant_id` must be UUIDs, `email` a present address, `role`
 * one of {@link ROLES}, booleans booleans. `role == superadmin` must go with `is_superuser == true` and vice
 * versa.
 */
function userFromClaims(claims: JWTPayload): AuthUser | Rejection {
  if (claims.type !== 'access') return REJECT.badType;
  const sub = claims.sub;
  if (typeof sub !== 'string' || !UUID.test(sub)) return bad('sub');
  const jti = claims.jti;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI) return bad('jti');
  // fa-auth-m8 mints `email` in every access token: one without it (or with null) was not minted by it.
  const email = claims.email;
  if (typeof email !== 'string' || !EMAIL.test(email)) return bad('email');
  const rawTenant = claims.tenant_id;
  if (
    rawTenant !== undefined &&
    rawTenant !== null &&
    (typeof rawTenant !== 'string' || !UUID.test(rawTenant))
  ) {
    return bad('tenant_id');
  }
  const rawRole = claims.role === undefined ? 'user' : claims.role;
  if (typeof rawRole !== 'string' || !ROLE_SET.has(rawRole)) return bad('role');
  const flags = profileFlags(claims);
  if (typeof flags === 'string') return bad(flags);
  // fa-auth-m8 mints no scopes: one given as a string is read, anything else is ignored as before.
  const scopes = typeof claims.scope === 'string' ? Object.freeze(spaceList(claims.scope)!) : NO_STRINGS;
  const role = rawRole as Role;
  if ((role === 'superadmin') !== flags.isSuperuser) return REJECT.superuserMismatch;
  return Object.freeze({
    id: sub,
    email,
    fullName: flags.fullName,
    avatar: flags.avatar,
    role,
    roles: Object.freeze([role]),
    scopes,
    issuer: typeof claims.iss === 'string' ? claims.iss : null,
    authMethod: 'jwt' as const,
    isActive: flags.isActive,
    isSuperuser: flags.isSuperuser,
    emailVerified: flags.emailVerified,
    tenantId: (rawTenant as string | null | undefined) ?? null,
    jti,
    claims: deepFreeze(claims),
  });
}

interface Flags {
  readonly fullName: string | null;
  readonly avatar: string | null;
  readonly isActive: boolean;
  readonly isSuperuser: boolean;
  readonly emailVerified: boolean;
}

/** The optional fa-auth-m8 members, or the name of the first malformed one. */
function profileFlags(claims: JWTPayload): Flags | string {
  const fullName = optionalText(claims.full_name);
  if (fullName === undefined) return 'full_name';
  const avatar = optionalText(claims.avatar);
  if (avatar === undefined) return 'avatar';
  const isActive = optionalBool(claims.is_active, true);
  if (isActive === undefined) return 'is_active';
  const isSuperuser = optionalBool(claims.is_superuser, false);
  if (isSuperuser === undefined) return 'is_superuser';
  const emailVerified = optionalBool(claims.email_verified, false);
  if (emailVerified === undefined) return 'email_verified';
  return { fullName, avatar, isActive, isSuperuser, emailVerified };
}

/**
 * Reads the value at a dot path: a key containing dots (`https://example.com/roles`) is matched whole first,
 * then the path is walked (`realm_access.roles`). Own properties only, so `__proto__` or `constructor` never
 * resolve to something the token did not carry.
 */
function claimAt(
  claims: Readonly<Record<string, unknown>>,
  path: string,
  segments: readonly string[],
): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let value: unknown = claims;
  for (const segment of segments) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    if (!Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** Turns verified claims into the `req.user` of one profile; built once from the settings. */
export type ClaimReader = (claims: JWTPayload) => AuthUser | Rejection;

/**
 * The claim reader for `TOKEN_PROFILE`: fa-auth-m8's rules ({@link userFromClaims}), or the oidc rules with
 * roles read from `rolesClaim` (a dot path).
 */
export function claimReader(profile: TokenProfile, rolesClaim: string): ClaimReader {
  if (profile === 'fa-auth-m8') return userFromClaims;
  const segments = rolesClaim.split('.');
  const badRoles = bad(rolesClaim);
  return (claims) => oidcUser(claims, rolesClaim, segments, badRoles);
}

/** The roles under `ROLES_CLAIM` (an array of strings, or one string) plus a `role` claim naming a known role. */
function rolesOf(
  claims: JWTPayload,
  path: string,
  segments: readonly string[],
): readonly string[] | undefined {
  const raw = claimAt(claims, path, segments);
  let roles: readonly string[] | undefined;
  if (raw === undefined || raw === null) roles = NO_STRINGS;
  else if (typeof raw === 'string') roles = [raw];
  else roles = stringArray(raw);
  if (roles === undefined) return undefined;
  const role = claims.role;
  if (typeof role === 'string' && ROLE_SET.has(role) && !roles.includes(role)) roles = [...roles, role];
  return Object.freeze([...roles]);
}

function highestRole(roles: readonly string[]): Role {
  let best: Role = 'user';
  for (const r of roles) if (ROLE_SET.has(r) && RANK[r as Role] > RANK[best]) best = r as Role;
  return best;
}

function oidcUser(
  claims: JWTPayload,
  rolesPath: string,
  segments: readonly string[],
  badRoles: Rejection,
): AuthUser | Rejection {
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUB) return bad('sub');
  // A `type` is fa-auth-m8's marker: when present it must say access (a refresh token is never accepted).
  if (claims.type !== undefined && claims.type !== 'access') return REJECT.badType;
  const jti = claims.jti;
  if (jti !== undefined && (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI))
    return bad('jti');
  const email = claims.email;
  if (email !== undefined && email !== null && (typeof email !== 'string' || !EMAIL.test(email)))
    return bad('email');
  const roles = rolesOf(claims, rolesPath, segments);
  if (roles === undefined) return badRoles;
  const scopes = scopesOf(claims);
  if ('status' in scopes) return scopes;
  const isActive = optionalBool(claims.is_active, true);
  if (isActive === undefined) return bad('is_active');
  const role = highestRole(roles);
  const tenant = claims.tenant_id ?? claims.tid;
  return Object.freeze({
    id: sub,
    email: typeof email === 'string' ? email : null,
    fullName: optionalText(claims.name ?? claims.full_name) ?? null,
    avatar: optionalText(claims.picture ?? claims.avatar) ?? null,
    role,
    roles,
    scopes,
    issuer: typeof claims.iss === 'string' ? claims.iss : null,
    authMethod: 'jwt' as const,
    isActive,
    isSuperuser: role === 'superadmin',
    emailVerified: claims.email_verified === true || claims.email_verified === 'true',
    tenantId: typeof tenant === 'string' && tenant.length <= MAX_TEXT ? tenant : null,
    jti: typeof jti === 'string' ? jti : null,
    claims: deepFreeze(claims),
  });
}
