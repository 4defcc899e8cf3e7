import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type AuthDeps, buildAuthDeps } from '../../src/auth/index.js';
import { TokenVerifier } from '../../src/auth/verifier.js';
import type { Settings } from '../../src/settings/types.js';
import {
  generateKeys,
  mintToken,
  TEST_TOKEN_AUDIENCE,
  TEST_TOKEN_ISSUER,
  type TestKeys,
  testSettings,
} from '../../src/testing/index.js';
import { manualClock } from '../support/clock.js';
import { createLogSink } from '../support/log-sink.js';
import { authGet, expectProblem, guardedApp, recordingObserver } from './helpers.js';

const strict = testSettings();
const permissive = testSettings({
  TOKEN_STRICT_VALIDATION: false,
  TOKEN_ISSUER: undefined,
  TOKEN_AUDIENCE: undefined,
});
const hs = await generateKeys('HS256', { secret: strict.ACCESS_SECRET_KEY! });
const T0 = 1_900_000_000_000; // a fixed instant, whole second
let auth: AuthDeps | undefined;
afterEach(async () => {
  await auth?.close();
  auth = undefined;
});

function appFor(settings: Settings, clock = manualClock(T0)) {
  const observer = recordingObserver();
  auth = buildAuthDeps(settings, { now: clock.now, observer });
  return { app: guardedApp(auth), clock, observer };
}

async function status(settings: Settings, token: string, clock = manualClock(T0)): Promise<number> {
  const { app } = appFor(settings, clock);
  const res = await authGet(app, '/user', token);
  await auth?.close();
  return res.status;
}

function pemFile(keys: TestKeys): string {
  const file = join(mkdtempSync(join(tmpdir(), 'm8-auth-')), 'public.pem');
  writeFileSync(file, keys.publicPem);
  return file;
}

describe('key sources', () => {
  for (const alg of ['RS256', 'ES256'] as const) {
    it(`verifies ${alg} tokens against ACCESS_PUBLIC_KEY_FILE`, async () => {
      const keys = await generateKeys(alg);
      const other = await generateKeys(alg);
      const settings = testSettings({ ACCESS_TOKEN_ALGORITHM: alg, ACCESS_PUBLIC_KEY_FILE: pemFile(keys) });
      expect(await status(settings, mintToken(keys, {}, { now: T0 }))).toBe(200);
      expect(await status(settings, mintToken(other, {}, { now: T0 }))).toBe(401);
    });
  }

  it('verifies HS256 tokens with ACCESS_SECRET_KEY and refuses another secret', async () => {
    const other = await generateKeys('HS256');
    expect(await status(strict, mintToken(hs, {}, { now: T0 }))).toBe(200);
    expect(await status(strict, mintToken(other, {}, { now: T0 }))).toBe(401);
  });

  it('ignores the kid with a single configured key (PEM or secret)', async () => {
    expect(await status(strict, mintToken(hs, {}, { now: T0, header: { kid: 'whatever' } }))).toBe(200);
    expect(await status(strict, mintToken(hs, {}, { now: T0, header: { kid: undefined } }))).toBe(200);
  });
});

describe('profiles', () => {
  it('strict requires exp, sub, jti, type, iat and nbf', async () => {
    for (const claim of ['exp', 'sub', 'jti', 'type', 'iat', 'nbf']) {
      const token = mintToken(hs, { [claim]: undefined }, { now: T0 });
      expect(await status(strict, token), claim).toBe(401);
    }
  });

  it('permissive requires exp, sub, jti and type but not iat or nbf', async () => {
    for (const claim of ['exp', 'sub', 'jti', 'type']) {
      expect(await status(permissive, mintToken(hs, { [claim]: undefined }, { now: T0 })), claim).toBe(401);
    }
    expect(await status(permissive, mintToken(hs, { iat: undefined, nbf: undefined }, { now: T0 }))).toBe(
      200,
    );
  });

  it('permissive without a configured issuer or audience accepts any iss and aud', async () => {
    const token = mintToken(hs, {}, { now: T0, issuer: 'https://elsewhere', audience: 'other' });
    expect(await status(permissive, token)).toBe(200);
  });

  it('applies a 2 s leeway to exp in strict mode: valid at exp and exp+1, expired at exp+2', async () => {
    const token = () => mintToken(hs, {}, { now: T0, expiresInSeconds: 60 });
    const exp = T0 + 60_000;
    expect(await status(strict, token(), manualClock(exp))).toBe(200);
    expect(await status(strict, token(), manualClock(exp + 1000))).toBe(200);
    expect(await status(strict, token(), manualClock(exp + 1999))).toBe(200);
    expect(await status(strict, token(), manualClock(exp + 2000))).toBe(401);
  });

  it('applies a 5 s leeway to exp in permissive mode', async () => {
    const token = () => mintToken(hs, {}, { now: T0, expiresInSeconds: 60 });
    const exp = T0 + 60_000;
    expect(await status(permissive, token(), manualClock(exp + 4000))).toBe(200);
    expect(await status(permissive, token(), manualClock(exp + 5000))).toBe(401);
  });

  it('refuses nbf and iat later than now plus the leeway, and accepts them at the edge', async () => {
    const s = T0 / 1000;
    expect(await status(strict, mintToken(hs, { nbf: s + 2 }, { now: T0 }))).toBe(200);
    expect(await status(strict, mintToken(hs, { nbf: s + 3 }, { now: T0 }))).toBe(401);
    expect(await status(strict, mintToken(hs, { iat: s + 2 }, { now: T0 }))).toBe(200);
    expect(await status(strict, mintToken(hs, { iat: s + 3 }, { now: T0 }))).toBe(401);
    expect(await status(permissive, mintToken(hs, { iat: s + 5, nbf: s + 5 }, { now: T0 }))).toBe(200);
    expect(await status(permissive, mintToken(hs, { iat: s + 6 }, { now: T0 }))).toBe(401);
  });
});

describe('issuer and audience', () => {
  it('compares iss exactly: case, trailing slash and arrays are refused', async () => {
    for (const issuer of [
      TEST_TOKEN_ISSUER.toUpperCase(),
      `${TEST_TOKEN_ISSUER}/`,
      `${TEST_TOKEN_ISSUER} `,
    ]) {
      expect(await status(strict, mintToken(hs, {}, { now: T0, issuer })), issuer).toBe(401);
    }
    expect(await status(strict, mintToken(hs, { iss: [TEST_TOKEN_ISSUER] }, { now: T0 }))).toBe(401);
    expect(await status(strict, mintToken(hs, {}, { now: T0, issuer: null }))).toBe(401);
  });

  it('compares aud exactly, and accepts an aud array that contains our audience (RFC 7519 §4.1.3)', async () => {
    for (const audience of [
      TEST_TOKEN_AUDIENCE.toUpperCase(),
      `${TEST_TOKEN_AUDIENCE}/`,
      ['other', 'another'],
    ]) {
      expect(await status(strict, mintToken(hs, {}, { now: T0, audience })), String(audience)).toBe(401);
    }
    expect(await status(strict, mintToken(hs, {}, { now: T0, audience: null }))).toBe(401);
    expect(
      await status(strict, mintToken(hs, {}, { now: T0, audience: ['other', TEST_TOKEN_AUDIENCE] })),
    ).toBe(200);
  });
});

describe('claims', () => {
  const bad: Record<string, unknown>[] = [
    { sub: 'not-a-uuid' },
    { sub: 42 },
    { sub: '' },
    { tenant_id: 'tenant-1' },
    { tenant_id: 7 },
    { email: 'not an email' },
    { email: 12 },
    { email: { toString: 'x' } },
    { email: undefined },
    { email: null },
    { email: '' },
    { email: 'a@b' },
    { role: 'owner' },
    { role: 'ADMIN' },
    { role: 3 },
    { role: null },
    { is_active: 'yes' },
    { is_superuser: 1 },
    { email_verified: 'true' },
    { full_name: 5 },
    { avatar: [] },
    { type: 'refresh' },
    { type: 'ACCESS' },
    { jti: 5 },
    { jti: '' },
    { exp: 'tomorrow' },
    { iat: 'now' },
    { role: '__proto__' },
  ];

  it('answers 401 invalid_token, never 500, to every malformed claim', async () => {
    const { app, observer } = appFor(strict);
    for (const claims of bad) {
      const res = await authGet(app, '/user', mintToken(hs, claims, { now: T0 }));
      expect(res.status, JSON.stringify(claims)).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    }
    expect(observer.failures).toHaveLength(bad.length);
  });

  it('accepts absent optional profile claims with their documented defaults', async () => {
    const { app } = appFor(permissive);
    const token = mintToken(
      hs,
      {
        full_name: undefined,
        avatar: undefined,
        role: undefined,
        is_active: undefined,
        is_superuser: undefined,
        email_verified: undefined,
        tenant_id: undefined,
      },
      { now: T0 },
    );
    const res = await authGet(app, '/user', token);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({
      email: 'user@example.com',
      fullName: null,
      avatar: null,
      role: 'user',
      isActive: true,
      isSuperuser: false,
      emailVerified: false,
      tenantId: null,
    });
  });
});

describe('verified-token cache', () => {
  it('never serves a cached token past its exp', async () => {
    const clock = manualClock(T0);
    const { app } = appFor(strict, clock);
    const token = mintToken(hs, {}, { now: T0, expiresInSeconds: 10 });
    expect((await authGet(app, '/user', token)).status).toBe(200);
    expect((await authGet(app, '/user', token)).status).toBe(200);
    clock.advance(12_000);
    expect((await authGet(app, '/user', token)).status).toBe(401);
  });

  it('never serves a cached user for another token that ends like the cached one', async () => {
    const { app } = appFor(strict);
    const token = mintToken(hs, { role: 'reader' }, { now: T0 });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const tampered = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    // Same signature, so the same last characters as the cached token: a hit must compare the whole token.
    const forged = `${header}.${tampered}.${signature}`;
    const get = async (path: string, t: string) => (await authGet(app, path, t)).status;
    expect(await get('/user', token)).toBe(200);
    expect(await get('/user', token)).toBe(200);
    expect(await get('/admin', forged)).toBe(401);
    expect(await get('/user', forged)).toBe(401);
    expect(await get('/user', token)).toBe(200);
  });

  it('still applies role and activity rules to a cached token', async () => {
    const { app } = appFor(strict);
    const token = mintToken(hs, { role: 'reader' }, { now: T0 });
    expect((await authGet(app, '/user', token)).status).toBe(200);
    expect((await authGet(app, '/admin', token)).status).toBe(403);
  });
});

/**
 * An HS256 token whose payload is the default minted claims with some members replaced by raw JSON text:
 * `1e400` must reach the verifier as written (JSON.stringify(Infinity) would be `null`, and jose's SignJWT
 * refuses it), so the payload is assembled and signed by hand with the test secret.
 */
function handBuiltToken(raw: Readonly<Record<string, string>>, claims: Record<string, unknown> = {}): string {
  const minted = mintToken(hs, claims, { now: T0 });
  const [header, payload] = minted.split('.');
  const members = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
  for (const name of Object.keys(raw)) members[name] = `@@${name}@@`;
  let json = JSON.stringify(members);
  for (const [name, text] of Object.entries(raw)) json = json.replace(`"@@${name}@@"`, text);
  const input = `${header}.${Buffer.from(json, 'utf8').toString('base64url')}`;
  const signature = createHmac('sha256', hs.privateKey).update(input).digest('base64url');
  return `${input}.${signature}`;
}

describe('time claims (exp, nbf, iat) are whole seconds below 2^53', () => {
  const far = String(T0 / 1000 + 3600);
  const refused: [string, Record<string, string>][] = [
    ['exp 1e400 (parses to Infinity)', { exp: '1e400' }],
    ['exp 2^53', { exp: '9007199254740992' }],
    ['exp with a fraction', { exp: `${far}.5` }],
    ['exp negative', { exp: '-1' }],
    ['exp a string', { exp: `"${far}"` }],
    ['exp null', { exp: 'null' }],
    ['nbf -1e400 (parses to -Infinity)', { nbf: '-1e400' }],
    ['nbf with a fraction', { nbf: `${T0 / 1000 - 10}.25` }],
    ['nbf negative', { nbf: '-5' }],
    ['iat -1e400', { iat: '-1e400' }],
    ['iat with a fraction', { iat: `${T0 / 1000 - 10}.5` }],
    ['iat negative', { iat: '-5' }],
  ];

  it.each(refused)('refuses %s with 401 invalid_token in strict and permissive mode', async (_, raw) => {
    for (const settings of [strict, permissive]) {
      const { app, observer } = appFor(settings);
      const token = handBuiltToken(raw);
      for (let i = 0; i < 2; i++) {
        const res = await authGet(app, '/user', token);
        expectProblem(res, 401, { challenge: 'Bearer error="invalid_token"' });
      }
      expect(observer.failures).toHaveLength(2);
      await auth?.close();
    }
  });

  it('accepts the largest whole second below 2^53 as exp (control for the refusals above)', async () => {
    expect(await status(strict, handBuiltToken({ exp: '9007199254740991' }))).toBe(200);
    expect(await status(strict, handBuiltToken({ exp: far, nbf: '0', iat: '0' }))).toBe(200);
  });

  it('never puts a token with exp 1e400 into the verified-token cache', async () => {
    let verifications = 0;
    const verifier = new TokenVerifier({
      alg: 'HS256',
      staticKey: hs.publicKey,
      jwks: undefined,
      issuer: strict.TOKEN_ISSUER,
      audience: strict.TOKEN_AUDIENCE,
      strict: true,
      now: () => T0,
      cacheSize: 100,
      verifyJwt: async (token, key, options) => {
        verifications++;
        const { jwtVerify } = await import('jose');
        return jwtVerify(token, key, options);
      },
    });
    const token = handBuiltToken({ exp: '1e400' });
    const result = await verifier.verify(token);
    expect(verifications).toBe(1);
    expect(result).toMatchObject({ status: 401, reason: 'bad_claims' });
    expect(verifier.cached(token)).toBeUndefined();
    const genuine = mintToken(hs, {}, { now: T0 });
    expect(await verifier.verify(genuine)).toHaveProperty('id');
    expect(verifier.cached(genuine)).toHaveProperty('id'); // the cache is on: only the bad token was kept out
  });
});

describe('email (required by the fa-auth-m8 profile)', () => {
  it.each([
    ['absent', { email: undefined }],
    ['null', { email: null }],
    ['empty', { email: '' }],
    ['without a domain dot', { email: 'ada@localhost' }],
    ['not a string', { email: ['ada@example.com'] }],
  ])('refuses a token whose email is %s with 401 invalid_token, strict and permissive', async (_, claims) => {
    for (const settings of [strict, permissive]) {
      const sink = createLogSink({ level: 'debug' });
      auth = buildAuthDeps(settings, { now: () => T0, logger: sink.logger });
      const res = await authGet(guardedApp(auth), '/user', mintToken(hs, claims, { now: T0 }));
      expectProblem(res, 401, { challenge: 'Bearer error="invalid_token"' });
      expect(sink.lines().find((l) => l.event === 'auth_failure')).toMatchObject({ reason: 'bad_claims' });
      await auth.close();
    }
  });
});
