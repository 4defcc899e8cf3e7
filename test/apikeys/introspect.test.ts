import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyIntrospectionUrl } from '../../src/apikeys/index.js';
import { type AuthDeps, buildAuthDeps } from '../../src/auth/index.js';
import { type ApiKeyServer, startApiKeyServer, testSettings } from '../../src/testing/index.js';
import { guardedApp, PRIVATE_API_SECRET } from '../auth/helpers.js';
import { createLogSink } from '../support/log-sink.js';

const CLIENT = 'items-service';
const USER_ID = '0f3a8c1e-2b4d-4e6f-8a9b-1c2d3e4f5a6b';
let issuer: ApiKeyServer;
let auth: AuthDeps | undefined;
const key = (n: number | string) => `fa_live_${String(n).padStart(4, '0')}_Secret0123456789abcdef`;

beforeAll(async () => {
  issuer = await startApiKeyServer(CLIENT);
});
afterAll(() => issuer.close());
afterEach(async () => {
  issuer.setPolicy(undefined);
  await auth?.close();
  auth = undefined;
});

function setup(overrides: Record<string, string | number> = {}, totalMs = 3000) {
  const settings = testSettings({
    API_KEYS: 'introspect',
    INTROSPECTION_URL: issuer.url,
    PRIVATE_API_SECRET,
    INTERNAL_CLIENT_ID: CLIENT,
    ...overrides,
  });
  const sink = createLogSink({ level: 'debug' });
  auth = buildAuthDeps(settings, { logger: sink.logger, timeouts: { revocationTotalMs: totalMs } });
  return { app: guardedApp(auth), sink };
}

describe('API_KEYS=introspect against a fake fa-auth-m8 issuer', () => {
  it('derives the endpoint from INTROSPECTION_URL minus its last segment', () => {
    expect(apiKeyIntrospectionUrl('https://auth.example.com/user/private/v1/jti-status').href).toBe(
      'https://auth.example.com/user/private/v1/api-keys/introspect',
    );
  });

  it('posts the key with schema 1 and the internal headers, and builds req.user from the principal', async () => {
    const { app } = setup();
    issuer.addKey(key(1), { user_id: USER_ID, role: 'writer' });
    const res = await request(app).get('/writer').set('X-API-Key', key(1));
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({
      id: USER_ID,
      role: 'writer',
      roles: ['writer'],
      scopes: [],
      jti: null,
      issuer: null,
      claims: {},
      isSuperuser: false,
      authMethod: 'api_key',
    });
    const sent = issuer.requests.at(-1)!;
    expect(sent.path).toBe('/private/v1/api-keys/introspect');
    expect(sent.body).toEqual({ api_key: key(1), schema_version: '1' });
    expect(sent.headers['x-internal-token']).toBe(PRIVATE_API_SECRET);
    expect(sent.headers['x-internal-client']).toBe(CLIENT);
  });

  it('caps the role at writer, and at reader for a read_only key; never a superuser', async () => {
    const { app } = setup();
    issuer.addKey(key(2), { role: 'admin' });
    issuer.addKey(key(3), { role: 'superadmin', is_superuser: true });
    issuer.addKey(key(4), { role: 'admin', access_mode: 'read_only' });
    issuer.addKey(key(5), { role: 'user', access_mode: 'read_only' });
    const roleOf = async (k: string) => (await request(app).get('/user').set('X-API-Key', k)).body.user;
    expect(await roleOf(key(2))).toMatchObject({ role: 'writer', isSuperuser: false });
    expect(await roleOf(key(3))).toMatchObject({ role: 'writer', isSuperuser: false });
    expect(await roleOf(key(4))).toMatchObject({ role: 'reader' });
    expect(await roleOf(key(5))).toMatchObject({ role: 'user' });
    expect((await request(app).get('/admin').set('X-API-Key', key(2))).status).toBe(403);
    expect((await request(app).get('/writer').set('X-API-Key', key(4))).status).toBe(403);
  });

  it('answers 401 Invalid or expired API key for an inactive or past-expiry key', async () => {
    const { app } = setup();
    issuer.addKey(key(6), {}, new Date(Date.now() - 1000).toISOString());
    for (const k of [key(7), key(6)]) {
      const res = await request(app).get('/user').set('X-API-Key', k);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({
        detail: 'Invalid or expired API key',
        code: 'ERR_AUTH_INVALID_API_KEY',
      });
    }
  });

  it('never caches an answer: a key revoked at the issuer is refused on the next request', async () => {
    const { app } = setup();
    issuer.addKey(key(8));
    const before = issuer.requests.length;
    expect((await request(app).get('/user').set('X-API-Key', key(8))).status).toBe(200);
    expect((await request(app).get('/user').set('X-API-Key', key(8))).status).toBe(200);
    issuer.revoke(key(8));
    expect((await request(app).get('/user').set('X-API-Key', key(8))).status).toBe(401);
    expect(issuer.requests.length - before).toBe(3);
  });

  it("passes the issuer's 429 on with its Retry-After", async () => {
    const { app } = setup();
    issuer.setPolicy({ status: 429, body: { detail: 'slow down' }, headers: { 'Retry-After': '17' } });
    const res = await request(app).get('/user').set('X-API-Key', key(9));
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('17');
    expect(res.body.code).toBe('ERR_AUTH_API_KEY_RATE_LIMITED');
  });

  const active = {
    active: true,
    audience_id: CLIENT,
    principal: {
      user_id: USER_ID,
      role: 'writer',
      is_superuser: false,
      access_mode: 'read_write',
      authentication_method: 'api_key',
      auth_generation: 1,
    },
    key_expires_at: null,
    schema_version: '1',
  };
  const unconfirmable: Array<[string, Parameters<ApiKeyServer['setPolicy']>[0]]> = [
    ['a 500', { status: 500, body: { detail: 'boom' } }],
    ['a 401 (our credential is wrong)', { status: 401, body: {} }],
    ['garbage', 'garbage'],
    ['a body over 8 KiB', { status: 200, body: { ...active, pad: 'x'.repeat(9000) } }],
    ['an unknown schema', { status: 200, body: { ...active, schema_version: '2' } }],
    ['another audience_id', { status: 200, body: { ...active, audience_id: 'other-service' } }],
    [
      'a principal without user_id',
      { status: 200, body: { ...active, principal: { ...active.principal, user_id: undefined } } },
    ],
    [
      'an authentication_method other than api_key',
      {
        status: 200,
        body: { ...active, principal: { ...active.principal, authentication_method: 'password' } },
      },
    ],
    ['a timeout', 'hang'],
    ['a reset connection', 'reset'],
  ];
  it.each(unconfirmable)('answers 503 for %s, and logs why without the key', async (_name, policy) => {
    const { app, sink } = setup({}, 300);
    issuer.setPolicy(policy);
    const before = issuer.requests.length;
    const res = await request(app).get('/user').set('X-API-Key', key(10));
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({
      code: 'ERR_AUTH_API_KEY_UNAVAILABLE',
      detail: 'API key check unavailable.',
    });
    expect(res.headers['retry-after']).toBe('5');
    // Only a failed connect is retried: whatever reached the issuer was asked once.
    expect(issuer.requests.length - before).toBe(1);
    expect(sink.text()).not.toContain(key(10));
    expect(sink.lines().some((l) => l.event === 'api_key_introspection')).toBe(true);
  });

  it('answers 503 when the issuer is down (closed port), after one retry of the connect', async () => {
    const down = await startApiKeyServer(CLIENT);
    const url = down.url;
    await down.close();
    const settings = testSettings({
      API_KEYS: 'introspect',
      INTROSPECTION_URL: url,
      PRIVATE_API_SECRET,
      INTERNAL_CLIENT_ID: CLIENT,
    });
    auth = buildAuthDeps(settings);
    const res = await request(guardedApp(auth)).get('/user').set('X-API-Key', key(11));
    expect(res.status).toBe(503);
  });

  it('bounds concurrent checks: past the queue, requests are answered 503 at once', async () => {
    const { app } = setup({ INTROSPECTION_MAX_SOCKETS: 1 });
    issuer.setPolicy({ status: 200, body: active, delayMs: 400 });
    const before = issuer.requests.length;
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 14 }, (_, i) =>
        request(app)
          .get('/user')
          .set('X-API-Key', key(100 + i))
          .then((r) => ({ status: r.status, ms: Date.now() - started })),
      ),
    );
    expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(1);
    // 1 in flight + 8 queued: the other 5 are refused before any issuer answer could arrive.
    expect(answers.filter((a) => a.status === 503 && a.ms < 350).length).toBeGreaterThanOrEqual(5);
    expect(issuer.requests.length - before).toBeLessThan(14);
  });

  it('ignores X-API-Key entirely when API_KEYS=off', async () => {
    const settings = testSettings({});
    auth = buildAuthDeps(settings);
    const res = await request(guardedApp(auth)).get('/user').set('X-API-Key', key(12));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('ERR_AUTH_MISSING_TOKEN');
  });
});
