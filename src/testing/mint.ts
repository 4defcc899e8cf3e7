import { constants, createHash, createHmac, randomBytes, randomUUID, sign } from 'node:crypto';
import type { TestKeys } from './keys.js';
import { TEST_TOKEN_AUDIENCE, TEST_TOKEN_ISSUER } from './settings.js';

/** Claims for {@link mintToken}; a claim set to `undefined` is removed from the defaults. */
export type TestClaims = Readonly<Record<string, unknown>>;

/**
 * The shape of a minted token: fa-auth-m8's own (default), or an access token laid out like the named
 * provider's (Google: an ID token, which is what Google-signed JWTs sent to APIs are).
 */
export type MintProfile = 'fa-auth-m8' | 'auth0' | 'keycloak' | 'entra' | 'cognito' | 'google';

/** Options of {@link mintToken}. */
export interface MintTokenOptions {
  /** The claim layout; default `fa-auth-m8`. */
  readonly profile?: MintProfile;
  /** `iss`; default the `testSettings` issuer. `null` leaves it out. */
  readonly issuer?: string | null;
  /** `aud`; default the `testSettings` audience. `null` leaves it out. */
  readonly audience?: string | readonly string[] | null;
  /** Lifetime from `now`, seconds. Default 1800 (ACCESS_TOKEN_EXPIRE_MINUTES=30). */
  readonly expiresInSeconds?: number;
  /** The minting time, epoch ms. Default `Date.now()`. */
  readonly now?: number;
  /** Header members merged over `{ alg, typ: "JWT", kid }`; `undefined` removes one. */
  readonly header?: Readonly<Record<string, unknown>>;
}

/**
 * Mints an access token the way fa-auth-m8 does: `sub` (UUID), `type: "access"`, `email`, `full_name`,
 * `avatar`, `is_active`, `email_verified`, `is_superuser`, `role`, `tenant_id`, `jti`, `iat`, `nbf`, `exp`,
 * `iss`, `aud`. `role: 'superadmin'` implies `is_superuser: true` unless you set it. Synchronous.
 *
 * With `profile`, the token is laid out like that provider's (see docs/testing.md): `auth0` (`permissions`,
 * `scope`, `azp`, `aud` an array with the userinfo URL), `keycloak` (`realm_access.roles`,
 * `resource_access`, `scope`, `typ: "Bearer"`), `entra` (v2: `scp`, `roles`, `tid`, `oid`, `ver: "2.0"`),
 * `cognito` (access token: `scope`, `cognito:groups`, `client_id` = the audience, `token_use: "access"`, no
 * `aud`), `google` (ID token: `aud` and `azp` = the audience as client id, `email`, `email_verified`).
 * `claims` are merged over the layout.
 *
 * @example
 * const token = mintToken(keys, { role: 'admin' });
 * await request(app).get('/items').set('Authorization', `Bearer ${token}`).expect(200);
 * @example
 * const expired = mintToken(keys, {}, { now: Date.now() - 3_600_000 });
 * @example
 * const kc = mintToken(keys, { realm_access: { roles: ['admin'] } }, { profile: 'keycloak' });
 */
export function mintToken(keys: TestKeys, claims: TestClaims = {}, options: MintTokenOptions = {}): string {
  const nowMs = options.now ?? Date.now();
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + (options.expiresInSeconds ?? 1800);
  const issuer = options.issuer === undefined ? TEST_TOKEN_ISSUER : options.issuer;
  const audience = options.audience === undefined ? TEST_TOKEN_AUDIENCE : options.audience;
  const profile = options.profile ?? 'fa-auth-m8';
  const base =
    profile === 'fa-auth-m8'
      ? faAuthClaims(claims, iat, exp)
      : PROVIDERS[profile](iat, exp, issuer, audience);
  if (issuer !== null) base.iss = issuer;
  if (audience !== null && profile !== 'cognito' && base.aud === undefined) base.aud = audience;
  if (audience === null) delete base.aud;
  const payload = merge(base, claims);
  const header = merge({ alg: keys.alg, typ: 'JWT', kid: keys.kid }, options.header ?? {});
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  return `${input}.${signature(keys, input).toString('base64url')}`;
}

function faAuthClaims(claims: TestClaims, iat: number, exp: number): Record<string, unknown> {
  return {
    sub: randomUUID(),
    type: 'access',
    email: 'user@example.com',
    full_name: 'Test User',
    avatar: null,
    is_active: true,
    email_verified: true,
    is_superuser: claims.role === 'superadmin' && !('is_superuser' in claims),
    role: 'user',
    tenant_id: null,
    jti: randomUUID(),
    iat,
    nbf: iat,
    exp,
  };
}

type Audience = string | readonly string[] | null;
const firstOf = (audience: Audience): string =>
  typeof audience === 'string' ? audience : (audience?.[0] ?? 'test-client');
const opaque = (bytes: number): string => randomBytes(bytes).toString('base64url');

/** Claim layouts from each provider's public documentation of its tokens (values are fakes). */
const PROVIDERS: Readonly<
  Record<
    Exclude<MintProfile, 'fa-auth-m8'>,
    (iat: number, exp: number, iss: string | null, aud: Audience) => Record<string, unknown>
  >
> = {
  // Auth0 access token for an API: `permissions` with RBAC on, `aud` an array when `openid` was asked.
  auth0: (iat, exp, iss, aud) => ({
    sub: `auth0|${randomBytes(12).toString('hex')}`,
    aud:
      aud === null
        ? undefined
        : [...(typeof aud === 'string' ? [aud] : aud), `${(iss ?? '').replace(/\/?$/, '/')}userinfo`],
    iat,
    exp,
    azp: opaque(24),
    scope: 'openid profile email',
    permissions: [],
  }),
  // Keycloak access token: realm and client roles, `typ: "Bearer"`, space-separated `scope`.
  keycloak: (iat, exp) => ({
    exp,
    iat,
    auth_time: iat,
    jti: randomUUID(),
    sub: randomUUID(),
    typ: 'Bearer',
    azp: 'test-client',
    sid: randomUUID(),
    acr: '1',
    realm_access: { roles: ['offline_access', 'uma_authorization', 'default-roles-test'] },
    resource_access: { account: { roles: ['manage-account', 'view-profile'] } },
    scope: 'openid email profile',
    email_verified: true,
    name: 'Test User',
    preferred_username: 'test.user',
    given_name: 'Test',
    family_name: 'User',
    email: 'user@example.com',
  }),
  // Microsoft Entra ID v2.0 access token: delegated `scp` (a space-separated string), app `roles`, tenant `tid`.
  entra: (iat, exp) => ({
    iat,
    nbf: iat,
    exp,
    aio: opaque(32),
    azp: randomUUID(),
    azpacr: '0',
    name: 'Test User',
    oid: randomUUID(),
    preferred_username: 'user@example.com',
    rh: opaque(16),
    scp: 'access_as_user',
    sub: opaque(32),
    tid: randomUUID(),
    uti: opaque(16),
    ver: '2.0',
  }),
  // Amazon Cognito user pool access token: no `aud`; the app client is `client_id`.
  cognito: (iat, exp, _iss, aud) => ({
    sub: randomUUID(),
    'cognito:groups': [],
    version: 2,
    client_id: firstOf(aud),
    origin_jti: randomUUID(),
    event_id: randomUUID(),
    token_use: 'access',
    scope: 'aws.cognito.signin.user.admin',
    auth_time: iat,
    exp,
    iat,
    jti: randomUUID(),
    username: 'test-user',
  }),
  // Google ID token: `aud` and `azp` are the OAuth client id.
  google: (iat, exp, _iss, aud) => ({
    azp: firstOf(aud),
    aud: firstOf(aud),
    sub: String(100_000_000_000_000_000_000n + BigInt(`0x${randomBytes(8).toString('hex')}`)),
    email: 'user@example.com',
    email_verified: true,
    at_hash: createHash('sha256').update(opaque(8)).digest('base64url').slice(0, 22),
    name: 'Test User',
    picture: 'https://example.com/avatar.png',
    given_name: 'Test',
    family_name: 'User',
    iat,
    exp,
  }),
};

function merge(
  base: Record<string, unknown>,
  over: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out = { ...base };
  for (const [name, value] of Object.entries(over)) {
    if (value === undefined) delete out[name];
    else out[name] = value;
  }
  return out;
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function signature(keys: TestKeys, input: string): Buffer {
  const data = Buffer.from(input, 'ascii');
  const key = keys.privateKey;
  switch (keys.alg) {
    case 'HS256':
      return createHmac('sha256', key).update(data).digest();
    case 'ES256':
    case 'ES384':
      return sign(keys.alg === 'ES256' ? 'sha256' : 'sha384', data, { key, dsaEncoding: 'ieee-p1363' });
    case 'PS256':
      return sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    case 'EdDSA':
      return sign(null, data, key);
    default:
      return sign(`sha${keys.alg.slice(2)}`, data, key);
  }
}
