import http from 'node:http';
import express from 'express';
import { jwtVerify } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGuards } from '../../src/auth/guards.js';
import { JwksStore } from '../../src/auth/jwks.js';
import type { AuthContext } from '../../src/auth/types.js';
import { TokenVerifier, type VerifierOptions } from '../../src/auth/verifier.js';
import {
  generateKeys,
  type JwksServer,
  mintToken,
  startJwksServer,
  TEST_TOKEN_AUDIENCE,
  TEST_TOKEN_ISSUER,
  type TestKeys,
} from '../../src/testing/index.js';
import { manualClock } from '../support/clock.js';
import { createLogSink } from '../support/log-sink.js';
import { authGet } from './helpers.js';

// These tests drive the real TokenVerifier, JwksStore and guards against a real JWKS server. The only seam is
// `verifyJwt`, which wraps jose's real jwtVerify to count calls or to hold one verification in flight.

const T0 = 1_900_000_000_000;
let k1: TestKeys;
let k2: TestKeys;
let server: JwksServer | undefined;
let agent: http.Agent | undefined;

beforeAll(async () => {
  k1 = await generateKeys('ES256', { kid: 'k1' });
  k2 = await generateKeys('ES256', { kid: 'k2' });
});
afterEach(async () => {
  agent?.destroy();
  await server?.close();
  agent = undefined;
  server = undefined;
});

type VerifyJwt = NonNullable<VerifierOptions['verifyJwt']>;

/** Real jwtVerify, counted; `hold()` makes the next call wait (after its key was taken) until released. */
function countingVerify(): {
  fn: VerifyJwt;
  readonly calls: number;
  hold(): { started: Promise<void>; release(): void };
} {
  let calls = 0;
  let gate: { started: () => void; released: Promise<void> } | undefined;
  const fn: VerifyJwt = async (token, key, options) => {
    calls++;
    const g = gate;
    gate = undefined;
    if (g !== undefined) {
      g.started();
      await g.released;
    }
    return jwtVerify(token, key, options);
  };
  return {
    fn,
    get calls() {
      return calls;
    },
    hold() {
      let started!: () => void;
      let release!: () => void;
      const startedP = new Promise<void>((r) => {
        started = r;
      });
      const released = new Promise<void>((r) => {
        release = r;
      });
      gate = { started, released };
      return { started: startedP, release };
    },
  };
}

async function setup(options: { cacheSize?: number; ttlSeconds?: number } = {}) {
  server = await startJwksServer([k1]);
  agent = new http.Agent({ keepAlive: true });
  const clock = manualClock(T0);
  const sink = createLogSink({ level: 'debug' });
  const ctx: AuthContext = { logger: sink.logger, observer: undefined };
  const verify = countingVerify();
  let verifier: TokenVerifier | undefined;
  const jwks = new JwksStore({
    url: new URL(server.url),
    alg: 'ES256',
    ttlMs: (options.ttlSeconds ?? 60) * 1000,
    timeoutMs: 1000,
    agent,
    now: clock.now,
    ctx,
    onKeySetChange: () => verifier?.clear(),
  });
  verifier = new TokenVerifier({
    alg: 'ES256',
    staticKey: undefined,
    jwks,
    issuer: TEST_TOKEN_ISSUER,
    audience: TEST_TOKEN_AUDIENCE,
    strict: true,
    now: clock.now,
    cacheSize: options.cacheSize ?? 100,
    verifyJwt: verify.fn,
  });
  const guards = createGuards(verifier, undefined, ctx);
  const app = express();
  app.get('/user', guards.requireUser, (req, res) => {
    res.json({ id: req.user?.id });
  });
  const get = (token: string) => authGet(app, '/user', token);
  return { server, jwks, verifier, verify, clock, app, get };
}

describe('verified-token cache', () => {
  it('serves a repeated token without verifying its signature again', async () => {
    const { get, verify } = await setup();
    const token = mintToken(k1, {}, { now: T0 });
    for (let i = 0; i < 3; i++) expect((await get(token)).status).toBe(200);
    expect(verify.calls).toBe(1);
  });

  it('verifies every request when the cache is disabled (control for the test above)', async () => {
    const { get, verify } = await setup({ cacheSize: 0 });
    const token = mintToken(k1, {}, { now: T0 });
    for (let i = 0; i < 3; i++) expect((await get(token)).status).toBe(200);
    expect(verify.calls).toBe(3);
  });

  it('does not remember a token whose verification was in flight while the key set changed', async () => {
    const { server, jwks, verifier, verify, clock, get } = await setup({ ttlSeconds: 1 });
    await jwks.prefetch();
    const token = mintToken(k1, {}, { now: T0 });
    // The verification takes k1 from the current set, then is held just before the signature check.
    const held = verify.hold();
    const inFlight = verifier.verify(token);
    await held.started;
    // The issuer rotates k1 out; a refresh lands while the verification is in flight (clearing the cache).
    server.setKeys([k2]);
    clock.advance(2_000);
    await jwks.lookup('k2');
    expect(server.requestCount).toBe(2);
    held.release();
    // Its key was valid when it was taken: this one request is accepted…
    expect('status' in (await inFlight)).toBe(false);
    // …but the token is not cached: the next request verifies it again, against the new set, and fails.
    expect(verifier.cached(token)).toBeUndefined();
    const res = await get(token);
    expect(res.status).toBe(401);
  });

  it('does not put back a token accepted inside the leeway after its exp', async () => {
    // A one-entry cache: a token wrongly remembered after its exp would evict the live one.
    const { verify, clock, get } = await setup({ cacheSize: 1 });
    const live = mintToken(k1, {}, { now: T0, expiresInSeconds: 3600 });
    const ending = mintToken(k1, {}, { now: T0, expiresInSeconds: 10 });
    expect((await get(live)).status).toBe(200);
    expect(verify.calls).toBe(1);
    clock.advance(11_000); // 1 s past `ending`'s exp, inside the strict 2 s leeway
    expect((await get(ending)).status).toBe(200);
    expect(verify.calls).toBe(2);
    expect((await get(live)).status).toBe(200);
    expect(verify.calls).toBe(2); // still cached: `ending` took no slot
  });
});

describe('verified-token cache under TOKEN_PROFILE=oidc with two issuers', () => {
  const ISSUER_A = 'https://a.example.com';
  const ISSUER_B = 'https://b.example.com/tenant/v2.0';
  const extra: JwksServer[] = [];
  afterEach(async () => {
    await Promise.all(extra.splice(0).map((s) => s.close()));
  });

  /** Issuer A signs with k1, issuer B with k2, each from its own JWKS server; audiences `api-1,api-2`. */
  async function setupOidc() {
    const [a, b] = [await startJwksServer([k1]), await startJwksServer([k2])];
    extra.push(a, b);
    agent = new http.Agent({ keepAlive: true });
    const clock = manualClock(T0);
    const sink = createLogSink({ level: 'debug' });
    const ctx: AuthContext = { logger: sink.logger, observer: undefined };
    const verify = countingVerify();
    let verifier: TokenVerifier | undefined;
    const store = (url: string) =>
      new JwksStore({
        url: new URL(url),
        alg: 'ES256',
        ttlMs: 60_000,
        timeoutMs: 1000,
        agent: agent!,
        now: clock.now,
        ctx,
        onKeySetChange: (changed) => verifier?.clear(changed),
      });
    const keySets = new Map([
      [ISSUER_A, store(a.url)],
      [ISSUER_B, store(b.url)],
    ]);
    // As auth.start() does: both key sets loaded before the first request.
    for (const s of keySets.values()) expect(await s.prefetch()).toBe(true);
    verifier = new TokenVerifier({
      alg: 'ES256',
      staticKey: undefined,
      jwks: undefined,
      issuer: undefined,
      audience: undefined,
      issuers: [ISSUER_A, ISSUER_B],
      audiences: ['api-1', 'api-2'],
      keySets,
      profile: 'oidc',
      rolesClaim: 'realm_access.roles',
      strict: true,
      now: clock.now,
      cacheSize: 100,
      verifyJwt: verify.fn,
    });
    const guards = createGuards(verifier, undefined, ctx);
    const app = express();
    app.get('/user', guards.requireUser, (req, res) => {
      res.json({ id: req.user?.id, issuer: req.user?.issuer, roles: req.user?.roles });
    });
    const get = (token: string) => authGet(app, '/user', token);
    const mint = (keys: TestKeys, issuer: string, audience: string, expiresInSeconds = 3600) =>
      mintToken(
        keys,
        { sub: `user-of-${audience}`, realm_access: { roles: ['writer'] } },
        { profile: 'google', issuer, audience, now: T0, expiresInSeconds },
      );
    return { a, b, keySets, verifier, verify, clock, get, mint };
  }

  it('verifies a token of either issuer once, then serves the same frozen user from the cache', async () => {
    const { verifier, verify, get, mint } = await setupOidc();
    const fromA = mint(k1, ISSUER_A, 'api-1');
    const fromB = mint(k2, ISSUER_B, 'api-2');
    for (let i = 0; i < 3; i++) {
      const [resA, resB] = [await get(fromA), await get(fromB)];
      expect(resA.body).toEqual({ id: 'user-of-api-1', issuer: ISSUER_A, roles: ['writer'] });
      expect(resB.body).toEqual({ id: 'user-of-api-2', issuer: ISSUER_B, roles: ['writer'] });
    }
    expect(verify.calls).toBe(2);
    // One prebuilt user per token, reused as is, and nothing in it can be changed by a handler.
    const user = verifier.cached(fromA)!;
    expect(verifier.cached(fromA)).toBe(user);
    expect(Object.isFrozen(user) && Object.isFrozen(user.roles) && Object.isFrozen(user.scopes)).toBe(true);
    const realm = user.claims.realm_access as { roles: string[] };
    expect(Object.isFrozen(user.claims) && Object.isFrozen(realm) && Object.isFrozen(realm.roles)).toBe(true);
  });

  it("forgets only the rotating issuer's tokens when one key set changes", async () => {
    const { b, keySets, verifier, verify, clock, get, mint } = await setupOidc();
    const fromA = mint(k1, ISSUER_A, 'api-1');
    const fromB = mint(k2, ISSUER_B, 'api-2');
    expect((await get(fromA)).status).toBe(200);
    expect((await get(fromB)).status).toBe(200);
    expect(verify.calls).toBe(2);
    // Issuer B rotates k2 out; its set is refreshed after the TTL.
    b.setKeys([k1]);
    clock.advance(61_000);
    const before = b.requestCount;
    await keySets.get(ISSUER_B)!.lookup('k1');
    expect(b.requestCount).toBe(before + 1);
    expect(verifier.cacheSize).toBe(1);
    // A's token is still served from the cache; B's is checked again, against B's new set, and refused.
    expect((await get(fromA)).status).toBe(200);
    expect(verify.calls).toBe(2);
    expect((await get(fromB)).status).toBe(401);
  });

  it('refuses a cached token once it has expired, and verifies it again rather than serving it', async () => {
    const { verifier, verify, clock, get, mint } = await setupOidc();
    const token = mint(k2, ISSUER_B, 'api-1', 60);
    expect((await get(token)).status).toBe(200);
    expect((await get(token)).status).toBe(200);
    expect(verify.calls).toBe(1);
    clock.advance(63_000); // past exp and the strict 2 s leeway
    expect(verifier.cached(token)).toBeUndefined();
    const res = await get(token);
    expect(res.status).toBe(401);
    expect(verify.calls).toBe(2);
    expect(verifier.cacheSize).toBe(0);
  });
});
