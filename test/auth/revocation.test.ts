import http from 'node:http';
import { createServer } from 'node:net';
import express from 'express';
import { decodeJwt } from 'jose';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { type AuthDeps, buildAuthDeps } from '../../src/auth/index.js';
import {
  generateKeys,
  mintToken,
  type RevocationReply,
  type RevocationServer,
  startRevocationServer,
  type TestSettingsOverrides,
  testSettings,
} from '../../src/testing/index.js';
import { createTracing } from '../../src/tracing/index.js';
import { manualClock } from '../support/clock.js';
import { createLogSink } from '../support/log-sink.js';
import {
  authGet,
  bearer,
  expectProblem,
  guardedApp,
  PRIVATE_API_SECRET,
  recordingObserver,
} from './helpers.js';

const base = testSettings();
const keys = await generateKeys('HS256', { secret: base.ACCESS_SECRET_KEY! });
let issuer: RevocationServer | undefined;
let auth: AuthDeps | undefined;
afterEach(async () => {
  await auth?.close();
  await issuer?.close();
  auth = undefined;
  issuer = undefined;
});

async function setup(overrides: TestSettingsOverrides = {}, url?: string) {
  issuer = await startRevocationServer();
  const settings = testSettings({
    TOKEN_MODE: 'stateful',
    INTROSPECTION_URL: url ?? issuer.url,
    PRIVATE_API_SECRET,
    ...overrides,
  });
  const clock = manualClock();
  const observer = recordingObserver();
  const sink = createLogSink({ level: 'debug' });
  auth = buildAuthDeps(settings, {
    now: clock.now,
    observer,
    logger: sink.logger,
    timeouts: { revocationTotalMs: 300, revocationConnectMs: 200 },
  });
  return { issuer, auth, app: guardedApp(auth), clock, observer, sink };
}

describe('revocation request', () => {
  it('posts the exact v2 body and headers, only after the token verified', async () => {
    const { issuer, app } = await setup({ INTERNAL_CLIENT_ID: 'orders-service' });
    const sub = '6f1c2b9e-1d2a-4c3b-8e4f-5a6b7c8d9e0f';
    const token = mintToken(keys, { sub, jti: 'jti-1' });
    expect((await authGet(app, '/user', token)).status).toBe(200);
    expect(issuer.requests).toHaveLength(1);
    const r = issuer.requests[0]!;
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/private/v1/jti-status'); // fa-auth-m8's route, as the fake issuer serves it
    expect(r.body).toStrictEqual({ jti: 'jti-1', expected_user_id: sub, schema_version: '2' });
    expect(r.headers['x-internal-token']).toBe(PRIVATE_API_SECRET);
    expect(r.headers['x-internal-client']).toBe('orders-service');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers.authorization).toBeUndefined();
  });

  it('omits X-Internal-Client when INTERNAL_CLIENT_ID is unset', async () => {
    const { issuer, app } = await setup();
    await request(app)
      .get('/user')
      .set(...bearer(mintToken(keys)))
      .expect(200);
    expect(issuer.requests[0]!.headers['x-internal-client']).toBeUndefined();
  });

  it('never calls the issuer for a token that fails signature, claims, activity or role', async () => {
    const { issuer, app } = await setup();
    const other = await generateKeys('HS256');
    await request(app)
      .get('/user')
      .set(...bearer(mintToken(other)))
      .expect(401);
    await request(app)
      .get('/user')
      .set(...bearer(mintToken(keys, {}, { now: Date.now() - 7_200_000 })))
      .expect(401);
    await request(app)
      .get('/user')
      .set(...bearer(mintToken(keys, { sub: 'nope' })))
      .expect(401);
    await request(app)
      .get('/user')
      .set(...bearer(mintToken(keys, { is_active: false })))
      .expect(403);
    await request(app)
      .get('/admin')
      .set(...bearer(mintToken(keys, { role: 'reader' })))
      .expect(403);
    expect(issuer.requestCount).toBe(0);
  });

  it('answers 401 Token has been revoked for an inactive reply', async () => {
    const { issuer, app, observer } = await setup();
    const token = mintToken(keys, { jti: 'gone' });
    issuer.revoke('gone');
    const res = await authGet(app, '/user', token);
    expectProblem(res, 401, {
      code: 'ERR_AUTH_TOKEN_REVOKED',
      detail: 'Token has been revoked.',
      challenge: 'Bearer error="invalid_token"',
    });
    expect(observer.revocations).toEqual(['revoked']);
  });
});

describe('revocation outcomes in both failure modes', () => {
  const expected = (r: { status: number }) => r.status;
  const cases: [string, RevocationReply, closed: number, open: number, result: string][] = [
    ['active', 'active', 200, 200, 'active'],
    ['subject mismatch', 'mismatch', 503, 503, 'subject_mismatch'],
    ['unparseable reply', 'garbage', 503, 503, 'malformed'],
    ['non-boolean active', { status: 200, body: { active: 'yes' } }, 503, 503, 'malformed'],
    ['unknown schema', 'unknown_schema', 503, 503, 'unknown_schema'],
    ['issuer 401 (our credential is wrong)', { status: 401 }, 503, 503, 'credential_rejected'],
    ['issuer 403', { status: 403 }, 503, 503, 'credential_rejected'],
    ['unexpected 404', { status: 404 }, 503, 503, 'malformed'],
    ['issuer 500', { status: 500, body: 'boom' }, 503, 200, 'unavailable'],
    ['issuer 503', { status: 503 }, 503, 200, 'unavailable'],
    ['connection reset', 'reset', 503, 200, 'unavailable'],
    ['no answer within the total timeout', 'hang', 503, 200, 'unavailable'],
  ];
  for (const mode of ['fail_closed', 'fail_open'] as const) {
    for (const [name, reply, closed, open, result] of cases) {
      it(`${mode}: ${name} → ${mode === 'fail_closed' ? closed : open}`, async () => {
        const { issuer, app, observer } = await setup({ ACCESS_REVOCATION_FAILURE_MODE: mode });
        issuer.setPolicy(reply);
        const res = await authGet(app, '/user', mintToken(keys));
        expect(expected(res)).toBe(mode === 'fail_closed' ? closed : open);
        if (res.status === 503) {
          expect(res.headers['retry-after']).toMatch(/^\d+$/);
          expect(res.body).toMatchObject({
            detail: 'Token revocation check unavailable.',
            code: 'ERR_AUTH_REVOCATION_UNAVAILABLE',
          });
        }
        const reported = mode === 'fail_open' && result === 'unavailable' ? 'fail_open' : result;
        expect(observer.revocations).toEqual([reported]);
      });
    }
  }

  it('treats a closed port as a transport error: 503 fail_closed, accepted with a warning fail_open', async () => {
    const port = await closedPort();
    const closed = await setup({}, `http://127.0.0.1:${port}/check`);
    expect((await authGet(closed.app, '/user', mintToken(keys))).status).toBe(503);
    await auth!.close();
    await issuer!.close();
    const open = await setup(
      { ACCESS_REVOCATION_FAILURE_MODE: 'fail_open' },
      `http://127.0.0.1:${port}/check`,
    );
    expect((await authGet(open.app, '/user', mintToken(keys))).status).toBe(200);
    const warning = open.sink.lines().find((l) => l.event === 'revocation_check');
    expect(warning).toMatchObject({ level: 40, result: 'fail_open', cause: 'transport_error' });
    expect(open.sink.text()).not.toContain(PRIVATE_API_SECRET);
  });
});

describe('revocation sharing and caching', () => {
  it('shares one call among identical concurrent checks', async () => {
    const { issuer, app } = await setup();
    issuer.setPolicy((r) => ({
      status: 200,
      body: { active: true, user_id: r.body?.expected_user_id, auth_generation: 1, schema_version: '2' },
      delayMs: 100,
    }));
    const token = mintToken(keys);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        request(app)
          .get('/user')
          .set(...bearer(token)),
      ),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(issuer.requestCount).toBe(1);
    await Promise.all(
      [mintToken(keys), mintToken(keys)].map((t) =>
        request(app)
          .get('/user')
          .set(...bearer(t)),
      ),
    );
    expect(issuer.requestCount).toBe(3);
  });

  it('asks the issuer on every request when the positive cache is off', async () => {
    const { issuer, app } = await setup();
    const token = mintToken(keys);
    for (let i = 0; i < 3; i++)
      await request(app)
        .get('/user')
        .set(...bearer(token))
        .expect(200);
    expect(issuer.requestCount).toBe(3);
  });

  it('reuses keep-alive connections to the issuer', async () => {
    const { issuer, app } = await setup();
    for (let i = 0; i < 5; i++)
      await request(app)
        .get('/user')
        .set(...bearer(mintToken(keys)))
        .expect(200);
    expect(issuer.requestCount).toBe(5);
    expect(issuer.connectionCount).toBe(1);
  });

  it('drops its keep-alive connections on close() and opens new ones if used again', async () => {
    const { issuer, app, auth } = await setup();
    await request(app)
      .get('/user')
      .set(...bearer(mintToken(keys)))
      .expect(200);
    await auth.close();
    await auth.close();
    await request(app)
      .get('/user')
      .set(...bearer(mintToken(keys)))
      .expect(200);
    expect(issuer.connectionCount).toBe(2);
  });

  it('caches active answers for REVOCATION_CACHE_TTL_SECONDS, bypassed by role guards above requireUser', async () => {
    const { issuer, app, clock, observer } = await setup({ REVOCATION_CACHE_TTL_SECONDS: 30 });
    const token = mintToken(keys, { role: 'admin', jti: 'cached-jti' });
    await request(app)
      .get('/user')
      .set(...bearer(token))
      .expect(200);
    await request(app)
      .get('/user')
      .set(...bearer(token))
      .expect(200);
    expect(issuer.requestCount).toBe(1);
    issuer.revoke('cached-jti');
    // requireUser trusts the cache until it expires; requireReader and above always ask.
    await request(app)
      .get('/user')
      .set(...bearer(token))
      .expect(200);
    await request(app)
      .get('/admin')
      .set(...bearer(token))
      .expect(401);
    expect(issuer.requestCount).toBe(2);
    clock.advance(31_000);
    await request(app)
      .get('/user')
      .set(...bearer(token))
      .expect(401);
    expect(issuer.requestCount).toBe(3);
    expect(observer.revocations).toEqual(['active', 'cached', 'cached', 'revoked', 'revoked']);
  });

  it('asks once for a stacked requireUser + requireAdmin chain', async () => {
    const { issuer, app } = await setup();
    await request(app)
      .get('/stacked')
      .set(...bearer(mintToken(keys, { role: 'admin' })))
      .expect(200);
    expect(issuer.requestCount).toBe(1);
  });

  it('never asks the issuer in hybrid mode (even with INTROSPECTION_URL set) nor in stateless mode', async () => {
    for (const mode of ['hybrid', 'stateless'] as const) {
      const { app, issuer: server } = await setup({ TOKEN_MODE: mode });
      const token = mintToken(keys, { role: 'admin' });
      // requireUser and a role guard (which bypasses the positive cache in stateful mode), revoked jti too.
      server.revoke(String(decodeJwt(token).jti));
      for (const path of ['/user', '/admin', '/user']) {
        await request(app)
          .get(path)
          .set(...bearer(token))
          .expect(200);
      }
      expect(server.requestCount).toBe(0);
      await auth!.close();
      await server.close();
    }
    // Control: the same requests in stateful mode do reach the issuer (and the revoked token is refused).
    const { app, issuer: server } = await setup({ TOKEN_MODE: 'stateful' });
    await request(app)
      .get('/user')
      .set(...bearer(mintToken(keys)))
      .expect(200);
    expect(server.requestCount).toBe(1);
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('revocation: positive cache key, keep-alive retry, logs and trace', () => {
  it('keys the positive cache by jti and sub, like the in-flight sharing', async () => {
    const { issuer, app } = await setup({ REVOCATION_CACHE_TTL_SECONDS: 30 });
    const a = mintToken(keys, { jti: 'shared-jti', sub: '11111111-1111-4111-8111-111111111111' });
    const b = mintToken(keys, { jti: 'shared-jti', sub: '22222222-2222-4222-8222-222222222222' });
    await request(app)
      .get('/user')
      .set(...bearer(a))
      .expect(200);
    await request(app)
      .get('/user')
      .set(...bearer(a))
      .expect(200);
    expect(issuer.requestCount).toBe(1);
    // Same jti, another sub: the cached answer was about another user, so the issuer is asked.
    issuer.setPolicy('revoked');
    await request(app)
      .get('/user')
      .set(...bearer(b))
      .expect(401);
    expect(issuer.requestCount).toBe(2);
  });

  it('retries exactly once when the issuer resets a reused keep-alive socket', async () => {
    const { issuer, app, observer } = await setup();
    await request(app)
      .get('/user')
      .set(...bearer(mintToken(keys)))
      .expect(200);
    expect(issuer.connectionCount).toBe(1);
    let resets = 0;
    issuer.setPolicy(() => (resets++ === 0 ? 'reset' : 'active'));
    await request(app)
      .get('/user')
      .set(...bearer(mintToken(keys)))
      .expect(200);
    expect(resets).toBe(2); // the reset request and exactly one retry
    expect(issuer.requestCount).toBe(3);
    expect(issuer.connectionCount).toBe(2); // the retry went out on a new socket
    expect(observer.revocations).toEqual(['active', 'active']);
  });

  it('does not retry a reset on a fresh socket', async () => {
    const { issuer, app } = await setup();
    issuer.setPolicy('reset');
    await request(app)
      .get('/user')
      .set(...bearer(mintToken(keys)))
      .expect(503);
    expect(issuer.requestCount).toBe(1);
  });

  it('sends the trace headers of the request to the issuer and logs failures with reqId and trace ids', async () => {
    const { issuer, auth, sink } = await setup();
    const app = express();
    app.use((req, _res, next) => {
      req.id = 'req-9';
      next();
    });
    app.use(createTracing().middleware);
    app.get('/user', auth.requireUser, (_req, res) => {
      res.json({});
    });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const spanId = '00f067aa0ba902b7';
    const traceparent = `00-${traceId}-${spanId}-01`;
    await request(app)
      .get('/user')
      .set('traceparent', traceparent)
      .set('tracestate', 'vendor=1')
      .set(...bearer(mintToken(keys)))
      .expect(200);
    expect(issuer.requests[0]?.headers.traceparent).toBe(traceparent);
    expect(issuer.requests[0]?.headers.tracestate).toBe('vendor=1');
    issuer.setPolicy({ status: 500 });
    await request(app)
      .get('/user')
      .set('traceparent', traceparent)
      .set(...bearer(mintToken(keys)))
      .expect(503);
    const line = sink.lines().find((l) => l.event === 'revocation_check');
    expect(line).toMatchObject({
      result: 'unavailable',
      reqId: 'req-9',
      trace_id: traceId,
      span_id: spanId,
    });
    // Without a trace, no trace headers are invented.
    issuer.setPolicy(undefined);
    await request(app)
      .get('/user')
      .set(...bearer(mintToken(keys)))
      .expect(200);
    expect(issuer.requests[2]?.headers.traceparent).toBeUndefined();
  });
});

/** buildAuthDeps with every option reachable (an own agent, timeouts), registered for afterEach cleanup. */
async function build(
  overrides: TestSettingsOverrides,
  options: Parameters<typeof buildAuthDeps>[1],
  url?: string,
) {
  issuer = await startRevocationServer();
  const observer = recordingObserver();
  const sink = createLogSink({ level: 'debug' });
  auth = buildAuthDeps(
    testSettings({
      TOKEN_MODE: 'stateful',
      INTROSPECTION_URL: url ?? issuer.url,
      PRIVATE_API_SECRET,
      ...overrides,
    }),
    { observer, logger: sink.logger, ...options },
  );
  return { issuer, auth, app: guardedApp(auth), observer, sink };
}

/** An agent whose resolver answers every name with `code` (getaddrinfo's ENOTFOUND/EAI_AGAIN). */
function unresolvableAgent(code: string): http.Agent {
  return new http.Agent({
    lookup: ((_host: string, _opts: unknown, callback: (error: NodeJS.ErrnoException) => void) => {
      const error: NodeJS.ErrnoException = new Error(`getaddrinfo ${code} issuer.invalid`);
      error.code = code;
      process.nextTick(() => callback(error));
    }) as unknown as http.AgentOptions['lookup'],
  });
}

describe('revocation hardening: oversized replies, unresolvable issuer, pool size, connect timeout', () => {
  const activeReply = (r: { body?: { expected_user_id?: unknown } }, size: number) => {
    const json = JSON.stringify({
      active: true,
      user_id: r.body?.expected_user_id,
      auth_generation: 1,
      schema_version: '2',
    });
    return { status: 200, body: json + ' '.repeat(size - Buffer.byteLength(json)) };
  };

  for (const mode of ['fail_closed', 'fail_open'] as const) {
    it(`${mode}: refuses a reply over 64 KiB with 503 (malformed) and accepts one of exactly 64 KiB`, async () => {
      const { issuer, app, observer, sink } = await setup({ ACCESS_REVOCATION_FAILURE_MODE: mode });
      issuer.setPolicy((r) => activeReply(r, 64 * 1024));
      await request(app)
        .get('/user')
        .set(...bearer(mintToken(keys)))
        .expect(200);
      issuer.setPolicy((r) => activeReply(r, 64 * 1024 + 1));
      const res = await authGet(app, '/user', mintToken(keys));
      expectProblem(res, 503, { code: 'ERR_AUTH_REVOCATION_UNAVAILABLE' });
      expect(observer.revocations).toEqual(['active', 'malformed']);
      expect(sink.lines().find((l) => l.event === 'revocation_check')).toMatchObject({
        level: 50,
        result: 'malformed',
        cause: 'too_large',
      });
    });
  }

  it('fail_open: accepts when the issuer host does not resolve, but logs an error and counts dns_error', async () => {
    for (const code of ['ENOTFOUND', 'EAI_AGAIN']) {
      const agent = unresolvableAgent(code);
      try {
        const { app, observer, sink } = await build(
          { ACCESS_REVOCATION_FAILURE_MODE: 'fail_open' },
          { httpAgent: agent },
          'http://issuer.invalid:8000/private/v1/jti-status',
        );
        await request(app)
          .get('/user')
          .set(...bearer(mintToken(keys)))
          .expect(200);
        expect(observer.revocations).toEqual(['dns_error']);
        const line = sink.lines().find((l) => l.event === 'revocation_check');
        expect(line).toMatchObject({ level: 50, result: 'dns_error', cause: code });
        expect(String(line?.msg)).toContain('INTROSPECTION_URL');
      } finally {
        agent.destroy();
        await auth?.close();
        await issuer?.close();
      }
    }
  });

  it('fail_closed: answers 503 when the issuer host does not resolve, counted as dns_error', async () => {
    const agent = unresolvableAgent('ENOTFOUND');
    try {
      const { app, observer, sink } = await build(
        {},
        { httpAgent: agent },
        'http://issuer.invalid:8000/private/v1/jti-status',
      );
      await request(app)
        .get('/user')
        .set(...bearer(mintToken(keys)))
        .expect(503);
      expect(observer.revocations).toEqual(['dns_error']);
      expect(sink.lines().find((l) => l.event === 'revocation_check')).toMatchObject({ level: 50 });
    } finally {
      agent.destroy();
    }
  });

  it('opens at most INTROSPECTION_MAX_SOCKETS connections to the issuer; further checks wait for one', async () => {
    const { issuer, app } = await build(
      { INTROSPECTION_MAX_SOCKETS: 2 },
      { timeouts: { revocationTotalMs: 3000 } },
    );
    issuer.setPolicy((r) => ({ ...activeReply(r, 200), delayMs: 50 }));
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        request(app)
          .get('/user')
          .set(...bearer(mintToken(keys))),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(issuer.requestCount).toBe(6);
    expect(issuer.connectionCount).toBe(2);
  });

  it('gives up on a connect that never completes after the connect timeout, long before the total one', async () => {
    // A resolver that never answers keeps the socket in its connecting state for good: a connect that hangs,
    // with no SYN to drop and nothing to wait for on loopback.
    const agent = new http.Agent({
      lookup: (() => undefined) as unknown as http.AgentOptions['lookup'],
    });
    try {
      const { app, observer, sink } = await build(
        {},
        { httpAgent: agent, timeouts: { revocationConnectMs: 150, revocationTotalMs: 5000 } },
        'http://issuer.invalid:8000/private/v1/jti-status',
      );
      const started = performance.now();
      const res = await authGet(app, '/user', mintToken(keys));
      const elapsed = performance.now() - started;
      expect(res.status).toBe(503);
      expect(elapsed).toBeGreaterThanOrEqual(140);
      expect(elapsed).toBeLessThan(2000);
      expect(observer.revocations).toEqual(['unavailable']);
      expect(sink.lines().find((l) => l.event === 'revocation_check')).toMatchObject({ cause: 'timeout' });
    } finally {
      agent.destroy();
    }
  }, 10_000);
});

describe('stacked guards with the positive revocation cache on', () => {
  it('refuses a token revoked after it was cached: requireAdmin asks the issuer itself behind requireUser', async () => {
    const { issuer, app, observer } = await setup({ REVOCATION_CACHE_TTL_SECONDS: 60 });
    // Active on the first call, revoked from the second on.
    issuer.setPolicy(() => (issuer.requestCount <= 1 ? 'active' : 'revoked'));
    const token = mintToken(keys, { role: 'admin' });
    await request(app)
      .get('/user')
      .set(...bearer(token))
      .expect(200);
    const res = await authGet(app, '/stacked', token);
    expectProblem(res, 401, { code: 'ERR_AUTH_TOKEN_REVOKED' });
    expect(issuer.requestCount).toBe(2);
    expect(observer.revocations).toEqual(['active', 'cached', 'revoked']);
  });
});
