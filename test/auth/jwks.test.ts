import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AuthDeps, buildAuthDeps } from '../../src/auth/index.js';
import {
  generateKeys,
  type JwksServer,
  keysFromPrivateKey,
  mintToken,
  startJwksServer,
  type TestKeys,
  testSettings,
} from '../../src/testing/index.js';
import { manualClock } from '../support/clock.js';
import { createLogSink } from '../support/log-sink.js';
import { authGet, bearer, expectProblem, guardedApp, recordingObserver } from './helpers.js';

const T0 = 1_900_000_000_000;
let k1: TestKeys;
let k2: TestKeys;
let server: JwksServer | undefined;
let auth: AuthDeps | undefined;

beforeAll(async () => {
  k1 = await generateKeys('ES256', { kid: 'k1' });
  k2 = await generateKeys('ES256', { kid: 'k2' });
});
afterEach(async () => {
  await auth?.close();
  await server?.close();
  auth = undefined;
  server = undefined;
});

async function setup(options: { ttlSeconds?: number; keys?: TestKeys[]; jwksMs?: number } = {}) {
  server = await startJwksServer(options.keys ?? [k1]);
  const settings = testSettings({
    ACCESS_TOKEN_ALGORITHM: 'ES256',
    JWKS_URI: server.url,
    JWKS_CACHE_TTL_SECONDS: options.ttlSeconds ?? 60,
  });
  const clock = manualClock(T0);
  const observer = recordingObserver();
  auth = buildAuthDeps(settings, { now: clock.now, observer, timeouts: { jwksMs: options.jwksMs ?? 1000 } });
  const app = guardedApp(auth);
  const get = (keys: TestKeys, header?: Record<string, unknown>) =>
    request(app)
      .get('/user')
      .set(...bearer(mintToken(keys, {}, { now: clock.now(), ...(header ? { header } : {}) })));
  return { server, auth, app, clock, observer, get };
}

describe('JWKS fetching', () => {
  it('prefetches at start() and then serves every request from the cached set', async () => {
    const { server, auth, get, observer } = await setup();
    await auth.start();
    expect(server.requestCount).toBe(1);
    for (let i = 0; i < 5; i++) expect((await get(k1)).status).toBe(200);
    expect(server.requestCount).toBe(1);
    expect(observer.refreshes).toEqual(['success']);
  });

  it('fetches lazily when a request arrives before start()', async () => {
    const { server, get } = await setup();
    expect((await get(k1)).status).toBe(200);
    expect(server.requestCount).toBe(1);
  });

  it('refetches an unknown kid at most once per 10 s, shared by concurrent requests', async () => {
    const { server, auth, get, clock } = await setup();
    await auth.start();
    clock.advance(10_000);
    server.setBehaviour({ delayMs: 150 });
    const results = await Promise.all(Array.from({ length: 20 }, () => get(k2)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(401));
    expect(server.requestCount).toBe(2);
    // The issuer rotates in k2, but the cooldown holds until 10 s after the last attempt.
    server.setBehaviour('ok');
    server.setKeys([k1, k2]);
    clock.advance(9_999);
    expect((await get(k2)).status).toBe(401);
    expect(server.requestCount).toBe(2);
    clock.advance(1);
    expect((await get(k2)).status).toBe(200);
    expect(server.requestCount).toBe(3);
  });

  it('does not count the first attempt (the start() prefetch) toward the cooldown; the second one opens it', async () => {
    const k3 = await generateKeys('ES256', { kid: 'k3' });
    const { server, auth, get, clock } = await setup({ keys: [k1] });
    await auth.start();
    server.setKeys([k1, k2, k3]);
    clock.advance(5_000);
    // Second attempt of the store's life: allowed at once, it opens the 10 s window.
    expect((await get(k2)).status).toBe(200);
    expect(server.requestCount).toBe(2);
    clock.advance(1_000);
    expect((await get(k3)).status).toBe(200); // k3 came with the second fetch
    const k4 = await generateKeys('ES256', { kid: 'k4' });
    server.setKeys([k1, k2, k3, k4]);
    clock.advance(8_999);
    expect((await get(k4)).status).toBe(401); // 9.999 s after the second attempt: no fetch
    expect(server.requestCount).toBe(2);
    clock.advance(1);
    expect((await get(k4)).status).toBe(200);
    expect(server.requestCount).toBe(3);
  });

  it('refreshes after the TTL in the background, still within one attempt per 10 s', async () => {
    const { server, auth, get, clock } = await setup({ ttlSeconds: 1 });
    await auth.start();
    clock.advance(2_000);
    // The prefetch was the first attempt (no window): the TTL refresh goes at once and opens the window.
    expect((await get(k1)).status).toBe(200);
    await until(() => server.requestCount === 2);
    clock.advance(2_000);
    expect((await get(k1)).status).toBe(200);
    expect(server.requestCount).toBe(2); // 2 s after the second attempt: still cooling down
    clock.advance(8_000);
    expect((await get(k1)).status).toBe(200);
    await until(() => server.requestCount === 3);
    clock.advance(2_000);
    expect((await get(k1)).status).toBe(200);
    expect(server.requestCount).toBe(3);
  });

  it('stops accepting a cached token once a refresh shows its key was removed', async () => {
    const { server, auth, app, clock } = await setup({ ttlSeconds: 60 });
    await auth.start();
    const token = mintToken(k1, {}, { now: T0 });
    expect((await authGet(app, '/user', token)).status).toBe(200);
    server.setKeys([k2]);
    clock.advance(61_000);
    // This request is served from the cache and kicks off the refresh; the key set then changes.
    await authGet(app, '/user', token);
    await until(() => server!.requestCount === 2);
    await new Promise((r) => setTimeout(r, 20));
    expect((await authGet(app, '/user', token)).status).toBe(401);
  });

  it('keeps a cached token valid across a refresh that returns the same keys', async () => {
    const { server, auth, app, clock } = await setup({ ttlSeconds: 60 });
    await auth.start();
    const token = mintToken(k1, {}, { now: T0 });
    expect((await authGet(app, '/user', token)).status).toBe(200);
    clock.advance(61_000);
    await authGet(app, '/user', token);
    await until(() => server.requestCount === 2);
    expect((await authGet(app, '/user', token)).status).toBe(200);
  });
});

describe('JWKS failures', () => {
  it('answers 503 Signing keys unavailable with an integer Retry-After when no key was ever fetched', async () => {
    const { server, auth, get, clock, observer } = await setup();
    server.setBehaviour('down');
    await expect(auth.start()).resolves.toBeUndefined();
    expect(server.requestCount).toBe(1);
    // The failed prefetch opened no window: the first request tries again at once (and opens it).
    const res = await get(k1);
    expect(server.requestCount).toBe(2);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('10');
    expect(res.body).toMatchObject({
      detail: 'Signing keys unavailable.',
      code: 'ERR_AUTH_KEYS_UNAVAILABLE',
    });
    clock.advance(3_000);
    expect((await get(k1)).headers['retry-after']).toBe('7');
    expect(server.requestCount).toBe(2);
    server.setBehaviour('ok');
    clock.advance(7_000);
    expect((await get(k1)).status).toBe(200);
    expect(server.requestCount).toBe(3);
    expect(observer.refreshes).toEqual(['bad_status', 'bad_status', 'success']);
  });

  it('gives up on a slow JWKS after the timeout', async () => {
    const { server, auth, get, observer } = await setup({ jwksMs: 200 });
    server.setBehaviour('hang');
    const started = Date.now();
    await auth.start();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(observer.refreshes).toEqual(['timeout']);
    expect((await get(k1)).status).toBe(503);
  });

  it('refuses a body over 1 MiB, garbage, and a redirect (never followed)', async () => {
    for (const [behaviour, result] of [
      ['huge', 'too_large'],
      ['garbage', 'invalid_body'],
      ['redirect', 'redirect'],
    ] as const) {
      const { server, auth, get, observer } = await setup();
      server.setBehaviour(behaviour);
      await auth.start();
      expect(observer.refreshes, behaviour).toEqual([result]);
      expect(server.requestCount, behaviour).toBe(1); // the redirect target was never requested
      expect((await get(k1)).status).toBe(503); // the request's own attempt fails the same way
      expect(observer.refreshes, behaviour).toEqual([result, result]);
      expect(server.requestCount, behaviour).toBe(2);
      await auth.close();
      await server.close();
    }
  });

  it('serves the last good keys through an outage', async () => {
    const { server, auth, get, clock, observer } = await setup({ ttlSeconds: 5 });
    await auth.start();
    server.setBehaviour('down');
    for (let i = 0; i < 3; i++) {
      clock.advance(11_000);
      expect((await get(k1)).status).toBe(200);
    }
    await until(() => observer.refreshes.length === 4);
    expect(observer.refreshes).toEqual(['success', 'bad_status', 'bad_status', 'bad_status']);
  });

  it('answers 503 with Retry-After, not 401, to an unknown kid while the refetch fails', async () => {
    const { server, auth, get, clock, observer } = await setup();
    await auth.start();
    server.setBehaviour('down');
    clock.advance(10_000);
    const first = await get(k2);
    expectProblem(first, 503, { code: 'ERR_AUTH_KEYS_UNAVAILABLE', detail: 'Signing keys unavailable.' });
    expect(first.headers['retry-after']).toBe('10');
    expect(server.requestCount).toBe(2);
    // In the cooldown after that failed attempt: still unknown whether k2 exists, still 503.
    clock.advance(4_000);
    const second = await get(k2);
    expect(second.status).toBe(503);
    expect(second.headers['retry-after']).toBe('6');
    expect(server.requestCount).toBe(2);
    expect(observer.failures).toEqual(['keys_unavailable', 'keys_unavailable']);
    // Known keys keep serving through the outage.
    expect((await get(k1)).status).toBe(200);
  });

  it('answers 401 to an unknown kid when the refetch succeeded, also during the cooldown after it', async () => {
    const { server, auth, get, clock, observer } = await setup();
    await auth.start();
    clock.advance(10_000);
    expect((await get(k2)).status).toBe(401);
    expect(server.requestCount).toBe(2);
    clock.advance(1_000);
    expect((await get(k2)).status).toBe(401);
    expect(server.requestCount).toBe(2);
    expect(observer.failures).toEqual(['unknown_kid', 'unknown_kid']);
  });

  it('keeps the previous set when a refresh has no usable key', async () => {
    const { server, auth, get, clock, observer } = await setup({ ttlSeconds: 5 });
    await auth.start();
    server.setJwks({ keys: [{ kty: 'EC', crv: 'P-256', x: 'bad', y: 'bad', kid: 'k1' }] });
    clock.advance(11_000);
    expect((await get(k1)).status).toBe(200);
    await until(() => observer.refreshes.length === 2);
    expect(observer.refreshes[1]).toBe('no_usable_keys');
    expect((await get(k1)).status).toBe(200);
  });

  it('never lets one bad JWK poison the set', async () => {
    const { server, get } = await setup();
    const rsa = keysFromPrivateKey(
      'RS256',
      readFileSync('test/fixtures/keys/rsa-private.pem', 'utf8'),
      'rsa',
    );
    server.setJwks({
      keys: [
        'not an object',
        null,
        [],
        { kty: 'EC', crv: 'P-256', x: '!!!', y: '???', kid: 'broken' },
        { kty: 'EC', crv: 'P-384', x: 'AAAA', y: 'AAAA', kid: 'curve' },
        { ...k2.publicJwk, use: 'enc' },
        { ...k2.publicJwk, kid: 'wrong-alg', alg: 'RS256' },
        { ...k2.publicJwk, kid: 'no-verify', key_ops: ['encrypt'] },
        { ...k2.publicJwk, kid: 5 },
        { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' },
        rsa.publicJwk,
        k1.publicJwk,
      ],
    });
    expect((await get(k1)).status).toBe(200);
    expect((await get(k2)).status).toBe(401);
  });

  it('uses a kid-less token only when the set has exactly one key', async () => {
    const one = await setup({ keys: [k1] });
    expect((await one.get(k1, { kid: undefined })).status).toBe(200);
    await auth!.close();
    await server!.close();
    const two = await setup({ keys: [k1, k2] });
    expect((await two.get(k1, { kid: undefined })).status).toBe(401);
  });
});

describe('JWKS key sources', () => {
  it('verifies RS256 tokens from a JWKS', async () => {
    const rsa = keysFromPrivateKey(
      'RS256',
      readFileSync('test/fixtures/keys/rsa-private.pem', 'utf8'),
      'rsa-1',
    );
    server = await startJwksServer(rsa);
    auth = buildAuthDeps(testSettings({ ACCESS_TOKEN_ALGORITHM: 'RS256', JWKS_URI: server.url }));
    const res = await authGet(guardedApp(auth), '/user', mintToken(rsa));
    expect(res.status).toBe(200);
  });

  it('prefers JWKS_URI over ACCESS_PUBLIC_KEY_FILE when both are set', async () => {
    const rsa = keysFromPrivateKey(
      'RS256',
      readFileSync('test/fixtures/keys/rsa-private.pem', 'utf8'),
      'rsa-1',
    );
    const other = await generateKeys('RS256', { kid: 'rsa-2' });
    server = await startJwksServer(other);
    auth = buildAuthDeps(
      testSettings({
        ACCESS_TOKEN_ALGORITHM: 'RS256',
        JWKS_URI: server.url,
        ACCESS_PUBLIC_KEY_FILE: 'test/fixtures/keys/rsa-public.pem',
      }),
    );
    const app = guardedApp(auth);
    expect((await authGet(app, '/user', mintToken(other))).status).toBe(200);
    expect((await authGet(app, '/user', mintToken(rsa))).status).toBe(401);
  });
});

describe('how long a key removed from the JWKS keeps verifying', () => {
  it('at most JWKS_CACHE_TTL_SECONDS after the fetch that still had it, when that fetch was the first one', async () => {
    const { server, auth, get, clock, observer } = await setup({ ttlSeconds: 60 });
    await auth.start(); // first attempt of the process: opens no cooldown window
    server.setKeys([k2]); // k1 removed at once
    clock.set(T0 + 59_999);
    expect((await get(k1)).status).toBe(200);
    expect(server.requestCount).toBe(1);
    clock.set(T0 + 60_000);
    // Still accepted: this request is served by the current set and starts the background refresh.
    expect((await get(k1)).status).toBe(200);
    await until(() => observer.refreshes.length === 2);
    expect((await get(k1)).status).toBe(401);
    expect((await get(k2)).status).toBe(200);
  });

  it('at most max(JWKS_CACHE_TTL_SECONDS, 10 s) after the fetch that still had it: the cooldown bounds short TTLs', async () => {
    const { server, auth, get, clock, observer } = await setup({ ttlSeconds: 1 });
    await auth.start();
    clock.set(T0 + 2_000);
    expect((await get(k1)).status).toBe(200); // past the TTL: the second attempt starts now and opens the window
    await until(() => observer.refreshes.length === 2);
    server.setKeys([k2]); // k1 removed right after the fetch that still served it (at T0 + 2 s)
    clock.set(T0 + 11_999);
    expect((await get(k1)).status).toBe(200); // TTL long past, but no attempt before T0 + 12 s
    expect(server.requestCount).toBe(2);
    clock.set(T0 + 12_000);
    expect((await get(k1)).status).toBe(200); // starts the refresh, served by the current set
    await until(() => observer.refreshes.length === 3);
    expect((await get(k1)).status).toBe(401);
  });

  it('for as long as the JWKS cannot be fetched: the last good set keeps serving through an outage', async () => {
    const { server, auth, get, clock, observer } = await setup({ ttlSeconds: 60 });
    await auth.start();
    server.setBehaviour('down');
    server.setKeys([k2]);
    clock.set(T0 + 61_000);
    expect((await get(k1)).status).toBe(200);
    await until(() => observer.refreshes.length === 2);
    clock.set(T0 + 3_600_000);
    expect((await get(k1)).status).toBe(200);
    await until(() => observer.refreshes.length === 3);
    expect(observer.refreshes).toEqual(['success', 'bad_status', 'bad_status']);
    server.setBehaviour('ok');
    clock.advance(10_000);
    expect((await get(k1)).status).toBe(200);
    await until(() => observer.refreshes.length === 4);
    expect((await get(k1)).status).toBe(401);
  });
});

describe('weak keys served over the JWKS', () => {
  const weak = keysFromPrivateKey(
    'RS256',
    generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey,
    'weak-1024',
  );
  let strong: TestKeys;
  beforeAll(async () => {
    strong = await generateKeys('RS256', { kid: 'strong-2048' });
  });

  async function rsaSetup(keys: TestKeys[]) {
    server = await startJwksServer(keys);
    const observer = recordingObserver();
    const sink = createLogSink({ level: 'debug' });
    auth = buildAuthDeps(
      testSettings({ ACCESS_TOKEN_ALGORITHM: 'RS256', JWKS_URI: server.url, ACCESS_SECRET_KEY: undefined }),
      { observer, logger: sink.logger },
    );
    return { app: guardedApp(auth), observer, sink };
  }

  it('refuses a 1024-bit RSA key by our own check: skipped and logged, its tokens unknown (401)', async () => {
    const { app, observer, sink } = await rsaSetup([weak, strong]);
    const res = await authGet(app, '/user', mintToken(weak));
    expect(res.status).toBe(401);
    // unknown_kid, not malformed: the key never entered the set (jose's own length check never ran).
    expect(observer.failures).toEqual(['unknown_kid']);
    expect(observer.refreshes).toEqual(['success']);
    expect(sink.lines().find((l) => l.event === 'jwks_key_skipped')).toMatchObject({
      level: 40,
      skipped: [
        {
          kid: 'weak-1024',
          reason: 'RS256 needs an RSA key of at least 2048 bits (got an RSA 1024-bit key)',
        },
      ],
    });
    await request(app)
      .get('/user')
      .set(...bearer(mintToken(strong)))
      .expect(200);
  });

  it('answers 503 Signing keys unavailable, counted no_usable_keys, when the weak key is the only one', async () => {
    const { app, observer, sink } = await rsaSetup([weak]);
    const res = await authGet(app, '/user', mintToken(weak));
    expectProblem(res, 503, { code: 'ERR_AUTH_KEYS_UNAVAILABLE' });
    expect(observer.refreshes).toEqual(['no_usable_keys']);
    expect(observer.failures).toEqual(['keys_unavailable']);
    expect(sink.lines().find((l) => l.event === 'jwks_refresh_failed')).toMatchObject({
      result: 'no_usable_keys',
    });
  });
});

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
