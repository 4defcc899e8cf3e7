import { createHmac, randomUUID, sign } from 'node:crypto';
import type { TestKeys } from './keys.js';
import { TEST_TOKEN_AUDIENCE, TEST_TOKEN_ISSUER } from './settings.js';

/** Claims for {@link mintToken}; a claim set to `undefined` is removed from the defaults. */
export type TestClaims = Readonly<Record<string, unknown>>;

/** Options of {@link mintToken}. */
export interface MintTokenOptions {
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
 * @example
 * const token = mintToken(keys, { role: 'admin' });
 * await request(app).get('/items').set('Authorization', `Bearer ${token}`).expect(200);
 * @example
 * const expired = mintToken(keys, {}, { now: Date.now() - 3_600_000 });
 */
export function mintToken(keys: TestKeys, claims: TestClaims = {}, options: MintTokenOptions = {}): string {
  const nowMs = options.now ?? Date.now();
  const iat = Math.floor(nowMs / 1000);
  const base: Record<string, unknown> = {
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
    exp: iat + (options.expiresInSeconds ?? 1800),
  };
  const issuer = options.issuer === undefined ? TEST_TOKEN_ISSUER : options.issuer;
  const audience = options.audience === undefined ? TEST_TOKEN_AUDIENCE : options.audience;
  if (issuer !== null) base.iss = issuer;
  if (audience !== null) base.aud = audience;
  const payload = merge(base, claims);
  const header = merge({ alg: keys.alg, typ: 'JWT', kid: keys.kid }, options.header ?? {});
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  return `${input}.${signature(keys, input).toString('base64url')}`;
}

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
  if (keys.alg === 'HS256') return createHmac('sha256', keys.privateKey).update(data).digest();
  if (keys.alg === 'ES256') return sign('sha256', data, { key: keys.privateKey, dsaEncoding: 'ieee-p1363' });
  return sign('sha256', data, keys.privateKey);
}
