import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { type AuthDeps, buildAuthDeps } from '../../src/auth/index.js';
import { SettingsError } from '../../src/errors.js';
import { summarizeSettings } from '../../src/settings/index.js';
import type { Settings } from '../../src/settings/types.js';
import {
  generateKeys,
  type JwksServer,
  mintToken,
  startJwksServer,
  type TestKeys,
  type TestSettingsOverrides,
  testSettings,
} from '../../src/testing/index.js';
import { manualClock } from '../support/clock.js';
import { createLogSink } from '../support/log-sink.js';
import { authGet, recordingObserver } from './helpers.js';

const ISSUER_A = 'https://a.example.com';
const ISSUER_B = 'https://b.example.com/tenant/v2.0';
const [rsA, rsB] = await Promise.all([
  generateKeys('RS256', { kid: 'a' }),
  generateKeys('RS256', { kid: 'b' }),
]);

const servers: JwksServer[] = [];
let auth: AuthDeps | undefined;
afterEach(async () => {
  await auth?.close();
  auth = undefined;
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function jwksFor(keys: TestKeys | readonly TestKeys[], issuerPath?: string): Promise<JwksServer> {
  const server = await startJwksServer(keys, issuerPath === undefined ? {} : { issuerPath });
  servers.push(server);
  return server;
}

function appFor(settings: Settings, clock = manualClock()) {
  const sink = createLogSink({ level: 'debug' });
  const observer = recordingObserver();
  auth = buildAuthDeps(settings, { logger: sink.logger, now: clock.now, observer });
  const app = express();
  app.get('/user', auth.requireUser, (req, res) => void res.json(req.user));
  app.get('/admin', auth.requireAdmin, (req, res) => void res.json(req.user));
  return { app, sink, observer, clock, auth };
}

const oidc = (over: TestSettingsOverrides): Settings =>
  testSettings({
    TOKEN_PROFILE: 'oidc',
    ACCESS_TOKEN_ALGORITHM: 'RS256',
    ACCESS_SECRET_KEY: undefined,
    ...over,
  });

async function get(app: express.Express, token: string, path = '/user') {
  return authGet(app, path, token);
}

/** An oidc token of issuer A: no fa-auth-m8 members at all. */
const plain = (keys: TestKeys, claims: Record<string, unknown> = {}, issuer = ISSUER_A) =>
  mintToken(keys, { sub: 'user-42', ...claims }, { profile: 'google', issuer });

describe('TOKEN_PROFILE=oidc claim rules', () => {
  it('accepts any non-empty sub up to 255 characters, with jti, type, email and role absent', async () => {
    const server = await jwksFor(rsA);
    const { app } = appFor(oidc({ JWKS_URI: server.url, TOKEN_ISSUER: ISSUER_A }));
    const res = await get(app, plain(rsA, { sub: 'x'.repeat(255), email: undefined }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'x'.repeat(255), jti: null, email: null, role: 'user', roles: [] });
    for (const sub of ['', 'x'.repeat(256), 42, null])
      expect((await get(app, plain(rsA, { sub }))).status).toBe(401);
    expect((await get(app, plain(rsA, { type: 'refresh' }))).status).toBe(401);
    expect((await get(app, plain(rsA, { email: 'not an address' }))).status).toBe(401);
    expect((await get(app, plain(rsA, { jti: 7 }))).status).toBe(401);
  });

  it('reads roles from ROLES_CLAIM (whole dotted key first, then a path) and takes the highest as role', async () => {
    const server = await jwksFor(rsA);
    const cases: [string, Record<string, unknown>, string, string[]][] = [
      ['roles', { roles: ['reader', 'admin', 'custom'] }, 'admin', ['reader', 'admin', 'custom']],
      ['realm_access.roles', { realm_access: { roles: ['writer'] } }, 'writer', ['writer']],
      [
        'https://example.com/roles',
        { 'https://example.com/roles': ['superadmin'] },
        'superadmin',
        ['superadmin'],
      ],
      // The whole key wins over a path through nested objects.
      ['a.b', { 'a.b': ['reader'], a: { b: ['admin'] } }, 'reader', ['reader']],
      ['roles', { roles: 'writer' }, 'writer', ['writer']],
      ['roles', { roles: ['nothing-known'] }, 'user', ['nothing-known']],
      ['roles', { roles: ['reader'], role: 'writer' }, 'writer', ['reader', 'writer']],
    ];
    for (const [path, claims, role, roles] of cases) {
      const { app } = appFor(oidc({ JWKS_URI: server.url, TOKEN_ISSUER: ISSUER_A, ROLES_CLAIM: path }));
      const res = await get(app, plain(rsA, claims));
      expect(res.status, path).toBe(200);
      expect(res.body.role, path).toBe(role);
      expect(res.body.roles, path).toEqual(roles);
      expect(res.body.isSuperuser).toBe(role === 'superadmin');
      await auth?.close();
    }
  });

  it('refuses a malformed roles claim and names it (never its value) in the log line', async () => {
    const server = await jwksFor(rsA);
    const { app, sink } = appFor(
      oidc({ JWKS_URI: server.url, TOKEN_ISSUER: ISSUER_A, ROLES_CLAIM: 'realm_access.roles' }),
    );
    const res = await get(app, plain(rsA, { realm_access: { roles: [{ secret: 'hunter2' }] } }));
    expect(res.status).toBe(401);
    const line = sink.lines().find((l) => l.event === 'auth_failure');
    expect(line).toMatchObject({ reason: 'bad_claims', claim: 'realm_access.roles' });
    expect(sink.text()).not.toContain('hunter2');
  });

  it('unions scope, scp (string or array) and permissions', async () => {
    const server = await jwksFor(rsA);
    const { app } = appFor(oidc({ JWKS_URI: server.url, TOKEN_ISSUER: ISSUER_A }));
    const res = await get(app, plain(rsA, { scope: 'openid a', scp: ['b', 'a'], permissions: ['c'] }));
    expect(res.body.scopes).toEqual(['openid', 'a', 'b', 'c']);
    expect((await get(app, plain(rsA, { scp: 'x y' }))).body.scopes).toEqual(['x', 'y']);
    for (const bad of [{ scope: 5 }, { scp: [1] }, { permissions: 'a' }]) {
      expect((await get(app, plain(rsA, bad))).status, JSON.stringify(bad)).toBe(401);
    }
  });

  it('requires exp, sub and iat in strict mode, not jti/type/nbf', async () => {
    const server = await jwksFor(rsA);
    const { app } = appFor(oidc({ JWKS_URI: server.url, TOKEN_ISSUER: ISSUER_A }));
    expect((await get(app, plain(rsA, { nbf: undefined, jti: undefined }))).status).toBe(200);
    for (const claim of ['exp', 'sub', 'iat']) {
      expect((await get(app, plain(rsA, { [claim]: undefined }))).status, claim).toBe(401);
    }
  });
});

describe('fa-auth-m8 profile: the new fields', () => {
  it('sets roles [role], scopes from scope (else []), issuer and authMethod', async () => {
    const settings = testSettings();
    const hs = await generateKeys('HS256', { secret: settings.ACCESS_SECRET_KEY! });
    const { app } = appFor(settings);
    const res = await get(app, mintToken(hs, { role: 'admin' }));
    expect(res.body).toMatchObject({
      roles: ['admin'],
      scopes: [],
      issuer: settings.TOKEN_ISSUER,
      authMethod: 'jwt',
    });
    expect((await get(app, mintToken(hs, { scope: 'a b' }))).body.scopes).toEqual(['a', 'b']);
    // fa-auth-m8 rules stay: a non-UUID sub is refused.
    expect((await get(app, mintToken(hs, { sub: 'user-42' }))).status).toBe(401);
  });
});

describe('a cached oidc token', () => {
  it("keeps its claims frozen all the way down: a handler cannot change a later request's claim check", async () => {
    const server = await jwksFor(rsA);
    const { app } = appFor(
      oidc({ JWKS_URI: server.url, TOKEN_ISSUER: ISSUER_A, ROLES_CLAIM: 'realm_access.roles' }),
    );
    const realmRoles = (claims: Readonly<Record<string, unknown>>) =>
      (claims.realm_access as { roles: string[] }).roles;
    app.get('/tamper', auth!.requireUser, (req, res) => {
      let threw = false;
      try {
        realmRoles(req.user!.claims).push('admin');
      } catch {
        threw = true;
      }
      res.json({ threw });
    });
    app.get(
      '/realm-admin',
      auth!.requireClaim((claims) => realmRoles(claims).includes('admin'), 'realm admin'),
      (_req, res) => void res.json({ ok: true }),
    );
    const token = plain(rsA, { realm_access: { roles: ['reader'] } });
    expect((await get(app, token, '/realm-admin')).status).toBe(403);
    // The token is now cached: the same user object would serve the next request.
    const tamper = await get(app, token, '/tamper');
    expect(tamper.status).toBe(200);
    expect(tamper.body).toEqual({ threw: true });
    expect((await get(app, token, '/realm-admin')).status).toBe(403);
    expect((await get(app, token)).body.roles).toEqual(['reader']);
  });
});

describe('several issuers and audiences', () => {
  it('gives each issuer its own key set (JWKS_URI aligned with TOKEN_ISSUER)', async () => {
    const [a, b] = [await jwksFor(rsA), await jwksFor(rsB)];
    const { app, sink } = appFor(
      oidc({
        JWKS_URI: [a.url, b.url],
        TOKEN_ISSUER: [ISSUER_A, ISSUER_B],
        TOKEN_AUDIENCE: ['api-1', 'api-2'],
      }),
    );
    const mint = (keys: TestKeys, issuer: string, audience: string | string[] = 'api-1') =>
      mintToken(keys, { sub: 'u' }, { profile: 'google', issuer, audience: audience as string });
    expect((await get(app, mint(rsA, ISSUER_A))).status).toBe(200);
    expect((await get(app, mint(rsB, ISSUER_B, 'api-2'))).status).toBe(200);
    const both = mintToken(
      rsA,
      { sub: 'u', aud: ['other', 'api-2'] },
      { profile: 'google', issuer: ISSUER_A },
    );
    expect((await get(app, both)).status).toBe(200);
    // Signed by A's key but naming issuer B: B's key set has no such key.
    const bBefore = b.requestCount;
    const crossed = await get(app, mint(rsA, ISSUER_B));
    expect(crossed.status).toBe(401);
    expect(b.requestCount - bBefore).toBeLessThanOrEqual(1);
    const wrongAud = await get(app, mint(rsA, ISSUER_A, 'api-3'));
    expect(wrongAud.status).toBe(401);
    expect(
      sink
        .lines()
        .filter((l) => l.event === 'auth_failure')
        .at(-1),
    ).toMatchObject({
      reason: 'bad_audience',
      claim: 'aud',
    });
    expect(sink.text()).not.toContain('api-3');
  });

  it('refuses an unknown or missing iss without any fetch', async () => {
    const [a, b] = [await jwksFor(rsA), await jwksFor(rsB)];
    const { app, sink } = appFor(oidc({ JWKS_URI: [a.url, b.url], TOKEN_ISSUER: [ISSUER_A, ISSUER_B] }));
    const before = a.requestCount + b.requestCount;
    const evil = await jwksFor(rsA);
    for (const issuer of ['https://evil.example.com', evil.url, `${ISSUER_A}/`]) {
      expect((await get(app, plain(rsA, {}, issuer))).status).toBe(401);
    }
    expect((await get(app, mintToken(rsA, { sub: 'u' }, { profile: 'google', issuer: null }))).status).toBe(
      401,
    );
    expect(a.requestCount + b.requestCount).toBe(before);
    expect(evil.requestCount).toBe(0);
    const reasons = sink
      .lines()
      .filter((l) => l.event === 'auth_failure')
      .map((l) => `${l.reason}/${l.claim}`);
    expect(reasons).toEqual(['bad_issuer/iss', 'bad_issuer/iss', 'bad_issuer/iss', 'missing_claim/iss']);
  });

  it('shares one key set between issuers when JWKS_URI is a single URL', async () => {
    const shared = await jwksFor([rsA, rsB]);
    const { app } = appFor(oidc({ JWKS_URI: shared.url, TOKEN_ISSUER: [ISSUER_A, ISSUER_B] }));
    expect((await get(app, plain(rsA, {}, ISSUER_B))).status).toBe(200);
    expect((await get(app, plain(rsB, {}, ISSUER_A))).status).toBe(200);
  });

  it('rejects a JWKS_URI list that does not line up with TOKEN_ISSUER', () => {
    expect(() => oidc({ JWKS_URI: ['https://a/jwks', 'https://b/jwks'], TOKEN_ISSUER: ISSUER_A })).toThrow(
      /JWKS_URI: lists 2 URLs but TOKEN_ISSUER lists 1/,
    );
  });
});

describe('OIDC_DISCOVERY', () => {
  it('fetches each issuer discovery document at start, then its jwks_uri', async () => {
    const [a, b] = [await jwksFor(rsA, '/realms/a'), await jwksFor(rsB, '/b/v2.0')];
    const { app, auth: deps } = appFor(oidc({ OIDC_DISCOVERY: true, TOKEN_ISSUER: [a.issuer, b.issuer] }));
    await deps.start();
    expect([a.discoveryCount, a.requestCount, b.discoveryCount, b.requestCount]).toEqual([1, 2, 1, 2]);
    expect((await get(app, plain(rsA, {}, a.issuer))).status).toBe(200);
    expect((await get(app, plain(rsB, {}, b.issuer))).status).toBe(200);
    expect((await get(app, plain(rsA, {}, b.issuer))).status).toBe(401);
    expect((await get(app, plain(rsA, {}, 'https://unknown.example.com'))).status).toBe(401);
  });

  it('retries a failed discovery under the JWKS cooldown, single flight, then serves', async () => {
    const server = await jwksFor(rsA, '/realms/a');
    server.setBehaviour('down');
    const clock = manualClock();
    const { app, auth: deps } = appFor(oidc({ OIDC_DISCOVERY: true, TOKEN_ISSUER: server.issuer }), clock);
    await deps.start();
    expect(server.requestCount).toBe(1);
    const token = plain(rsA, {}, server.issuer);
    const first = await get(app, token);
    expect(first.status).toBe(503);
    expect(first.body.code).toBe('ERR_AUTH_KEYS_UNAVAILABLE');
    // The first attempt opens no window: the first request may try once more; from then on, 10 s apart.
    const afterFirst = server.requestCount;
    await Promise.all(Array.from({ length: 5 }, () => get(app, token)));
    expect(server.requestCount).toBe(afterFirst);
    server.setBehaviour('ok');
    clock.advance(10_000);
    const results = await Promise.all(Array.from({ length: 5 }, () => get(app, token)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    // One shared attempt for the five: the discovery document, then the key set.
    expect(server.discoveryCount).toBe(3);
    expect(server.requestCount).toBe(afterFirst + 2);
  });

  it('refuses a discovery document naming another issuer (no keys are trusted from it)', async () => {
    const server = await jwksFor(rsA, '/realms/a');
    server.setDiscovery({ issuer: 'https://evil.example.com', jwks_uri: server.url });
    const { app, auth: deps, sink } = appFor(oidc({ OIDC_DISCOVERY: true, TOKEN_ISSUER: server.issuer }));
    await deps.start();
    expect(server.requestCount).toBe(1);
    expect((await get(app, plain(rsA, {}, server.issuer))).status).toBe(503);
    expect(sink.lines().some((l) => l.event === 'oidc_discovery_failed' && l.result === 'invalid_body')).toBe(
      true,
    );
  });

  it('is a settings error with JWKS_URI, with HS256, or without TOKEN_ISSUER', () => {
    expect(() => oidc({ OIDC_DISCOVERY: true, TOKEN_ISSUER: ISSUER_A, JWKS_URI: 'https://a/jwks' })).toThrow(
      /OIDC_DISCOVERY/,
    );
    expect(() => testSettings({ OIDC_DISCOVERY: true })).toThrow(/OIDC_DISCOVERY: needs a public-key/);
    expect(() =>
      oidc({ OIDC_DISCOVERY: true, TOKEN_ISSUER: undefined, TOKEN_STRICT_VALIDATION: false }),
    ).toThrow(/TOKEN_ISSUER: is required when OIDC_DISCOVERY=true/);
  });
});

describe('ACCESS_TOKEN_ALGORITHM lists', () => {
  it('accepts every listed asymmetric algorithm from one key set', async () => {
    const algs = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const;
    const keys = await Promise.all(algs.map((alg) => generateKeys(alg, { kid: `k-${alg}` })));
    const server = await jwksFor(keys);
    const { app } = appFor(
      oidc({ JWKS_URI: server.url, TOKEN_ISSUER: ISSUER_A, ACCESS_TOKEN_ALGORITHM: algs.join(', ') }),
    );
    for (const k of keys) expect((await get(app, plain(k))).status, k.alg).toBe(200);
  });

  it('refuses an algorithm not listed, and a JWK used under another alg than its own', async () => {
    const [rs, es] = [await generateKeys('RS256', { kid: 'rs' }), await generateKeys('ES256', { kid: 'es' })];
    const server = await jwksFor([rs, es]);
    const { app, observer } = appFor(
      oidc({ JWKS_URI: server.url, TOKEN_ISSUER: ISSUER_A, ACCESS_TOKEN_ALGORITHM: 'RS256,PS256' }),
    );
    expect((await get(app, plain(es))).status).toBe(401);
    // The RS256 JWK (alg: RS256) under a PS256 header: refused before any signature check.
    const ps = { ...rs, alg: 'PS256' as const };
    expect((await get(app, plain(ps))).status).toBe(401);
    expect(observer.failures).toEqual(['bad_algorithm', 'bad_algorithm']);
  });

  it('shows the new settings unmasked in the configuration summary', () => {
    const summary = summarizeSettings(
      oidc({ JWKS_URI: 'https://a/jwks', TOKEN_ISSUER: ISSUER_A, TOKEN_AUDIENCE_CLAIM: 'client_id' }),
    );
    expect(summary).toMatchObject({
      TOKEN_PROFILE: 'oidc',
      TOKEN_AUDIENCE_CLAIM: 'client_id',
      ROLES_CLAIM: 'roles',
      OIDC_DISCOVERY: false,
    });
  });

  it('never mixes HS256 with public-key algorithms', () => {
    expect(() => testSettings({ ACCESS_TOKEN_ALGORITHM: 'HS256,RS256' })).toThrow(
      /HS256 \(a shared secret\) cannot be combined/,
    );
    expect(() => testSettings({ ACCESS_TOKEN_ALGORITHM: 'RS256,none' })).toThrow(SettingsError);
    expect(
      testSettings({ ACCESS_TOKEN_ALGORITHM: 'rs256, es256', JWKS_URI: 'https://a/jwks' })
        .ACCESS_TOKEN_ALGORITHM,
    ).toBe('RS256,ES256');
  });
});
