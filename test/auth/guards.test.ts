import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { attachToApp } from '../../src/attach.js';
import { type AuthDeps, buildAuthDeps, ROLES, type Role } from '../../src/auth/index.js';
import { generateKeys, mintToken, type TestKeys, testSettings } from '../../src/testing/index.js';
import { createTracing } from '../../src/tracing/index.js';
import { createLogSink } from '../support/log-sink.js';
import { authGet, bearer, expectProblem, guardedApp, rawRequest, recordingObserver } from './helpers.js';

const settings = testSettings();
const keys: TestKeys = await generateKeys('HS256', { secret: settings.ACCESS_SECRET_KEY! });
let auth: AuthDeps | undefined;
afterEach(async () => {
  await auth?.close();
  auth = undefined;
});

function setup(opts: Parameters<typeof buildAuthDeps>[1] = {}) {
  auth = buildAuthDeps(settings, opts);
  return guardedApp(auth);
}

describe('bearer extraction and refusals', () => {
  it('answers 401 Not authenticated with a bare Bearer challenge when no token is sent', async () => {
    const res = await request(setup()).get('/user');
    expectProblem(res, 401, { challenge: 'Bearer' });
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toEqual({
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      detail: 'Not authenticated',
      code: 'ERR_AUTH_MISSING_TOKEN',
    });
  });

  it('accepts the scheme in any casing and sets a typed req.user', async () => {
    const app = setup();
    const token = mintToken(keys, {
      role: 'writer',
      email: 'ada@example.com',
      tenant_id: '0b7d1c8e-8f5a-4e1b-9c1d-2a3b4c5d6e7f',
    });
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const res = await request(app).get('/user').set('Authorization', `${scheme} ${token}`);
      expect(res.status).toBe(200);
      expect(res.body.user).toMatchObject({
        email: 'ada@example.com',
        fullName: 'Test User',
        avatar: null,
        role: 'writer',
        isActive: true,
        isSuperuser: false,
        emailVerified: true,
        tenantId: '0b7d1c8e-8f5a-4e1b-9c1d-2a3b4c5d6e7f',
      });
      expect(res.body.user.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.user.claims.type).toBe('access');
    }
  });

  it('treats another scheme, an empty bearer and a query or cookie token as no token', async () => {
    const app = setup();
    const token = mintToken(keys);
    for (const value of [`Basic ${token}`, 'Bearer', 'Bearer ', `Token ${token}`, `Bearer${token}`]) {
      const res = await request(app).get('/user').set('Authorization', value);
      expect(res.status, value.slice(0, 12)).toBe(401);
      expect(res.body.detail).toBe('Not authenticated');
    }
    expect((await request(app).get(`/user?access_token=${token}`)).status).toBe(401);
    expect((await request(app).get('/user').set('Cookie', `access_token=${token}`)).status).toBe(401);
  });

  it('answers 400 to two Authorization headers, even when both carry the same valid token', async () => {
    const app = setup();
    const token = mintToken(keys);
    const res = await rawRequest(app, '/user', [
      `Authorization: Bearer ${token}`,
      `authorization: Bearer ${token}`,
    ]);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ status: 400, code: 'ERR_AUTH_MULTIPLE_AUTHORIZATION' });
    const single = await rawRequest(app, '/user', [`AUTHORIZATION: Bearer ${token}`]);
    expect(single.status).toBe(200);
  });

  it('refuses a token over 8 KiB with 401 invalid_token before parsing it', async () => {
    const observer = recordingObserver();
    const app = setup({ observer });
    const token = mintToken(keys, { padding: 'x'.repeat(9000) });
    const res = await authGet(app, '/user', token);
    expectProblem(res, 401, { challenge: 'Bearer error="invalid_token"' });
    expect(observer.failures).toEqual(['token_too_large']);
  });

  it('refuses a tab or other non-space whitespace after Bearer as a malformed header (RFC 6750 §2.1: 1*SP)', async () => {
    const sink = createLogSink({ level: 'debug' });
    const observer = recordingObserver();
    const app = setup({ logger: sink.logger, observer });
    const token = mintToken(keys);
    for (const value of [
      `Bearer\t${token}`,
      `bearer\t${token}`,
      `Bearer \t${token}`,
      `Bearer\u00a0${token}`,
    ]) {
      const res = await rawRequest(app, '/user', [`Authorization: ${value}`]);
      expect(res.status, JSON.stringify(value.slice(0, 9))).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'ERR_AUTH_INVALID_TOKEN' });
    }
    // Refused, not anonymous: optionalUser does not let a malformed header through either.
    expect((await rawRequest(app, '/optional', [`Authorization: Bearer\t${token}`])).status).toBe(401);
    expect(observer.failures).toEqual(['malformed', 'malformed', 'malformed', 'malformed', 'malformed']);
    // One or more spaces stay accepted, the scheme in any casing.
    for (const value of [`Bearer ${token}`, `Bearer   ${token}`, `bEaReR ${token}`]) {
      expect((await rawRequest(app, '/user', [`Authorization: ${value}`])).status, value.slice(0, 9)).toBe(
        200,
      );
    }
  });

  it('accepts a valid token of exactly 8192 characters and refuses one of 8193 and 8249 as too large', async () => {
    const observer = recordingObserver();
    const app = setup({ observer });
    const at = (length: number): string => {
      // Pads a claim (and, for lengths base64url cannot reach from the payload alone, a header member).
      for (let h = 0; h < 4; h++) {
        for (let n = 0; n < length; n++) {
          const token = mintToken(keys, { padding: 'x'.repeat(n) }, { header: { pad: 'y'.repeat(h) } });
          if (token.length === length) return token;
          if (token.length > length) break;
        }
      }
      throw new Error(`no token of length ${length}`);
    };
    const ok = at(8192);
    expect(ok).toHaveLength(8192);
    const res = await authGet(app, '/user', ok);
    expect(res.status).toBe(200);
    // 8193: over the token limit while the whole header (8200) is still under the 8192 + 64 header bound;
    // 8249: the whole header is exactly that bound.
    for (const length of [8193, 8249]) {
      const tooLarge = at(length);
      const refused = await authGet(app, '/user', tooLarge);
      expect(refused.status, String(length)).toBe(401);
      expect(refused.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    }
    expect(observer.failures).toEqual(['token_too_large', 'token_too_large']);
  });

  it('answers 401 Could not validate credentials with invalid_token for a garbage token', async () => {
    const res = await authGet(setup(), '/user', 'not.a.jwt');
    expectProblem(res, 401, {
      code: 'ERR_AUTH_INVALID_TOKEN',
      detail: 'Could not validate credentials.',
      challenge: 'Bearer error="invalid_token"',
    });
  });

  it('reports an expired token with code ERR_AUTH_TOKEN_EXPIRED and the same detail', async () => {
    const token = mintToken(keys, {}, { now: Date.now() - 3_600_000 });
    const res = await authGet(setup(), '/user', token);
    expectProblem(res, 401, { code: 'ERR_AUTH_TOKEN_EXPIRED', detail: 'Could not validate credentials.' });
  });

  it('logs one line per failure with the reason and never the token', async () => {
    const sink = createLogSink({ level: 'debug' });
    const app = setup({ logger: sink.logger });
    const token = mintToken(keys, { type: 'refresh' });
    await request(app)
      .get('/user')
      .set(...bearer(token))
      .expect(401);
    const failures = sink.lines().filter((l) => l.event === 'auth_failure');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ reason: 'bad_type', status: 401 });
    expect(sink.text()).not.toContain(token.split('.')[2]);
  });

  it('logs the refusal with the reqId field of the request log and the trace ids of the request', async () => {
    const sink = createLogSink({ level: 'debug' });
    auth = buildAuthDeps(settings, { logger: sink.logger });
    const app = express();
    app.use((req, _res, next) => {
      req.id = 'req-7';
      next();
    });
    app.use(createTracing().middleware);
    app.get('/user', auth.requireUser, (_req, res) => {
      res.json({});
    });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const spanId = '00f067aa0ba902b7';
    await request(app).get('/user').set('traceparent', `00-${traceId}-${spanId}-01`).expect(401);
    await request(app).get('/user').expect(401);
    const failures = sink.lines().filter((l) => l.event === 'auth_failure');
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({ reqId: 'req-7', trace_id: traceId, span_id: spanId });
    expect(failures[0]).not.toHaveProperty('req_id');
    expect(failures[1]).toMatchObject({ reqId: 'req-7' });
    expect(failures[1]).not.toHaveProperty('trace_id');
  });

  it('lets the metrics observer be installed after construction', async () => {
    const app = setup();
    const failures: string[] = [];
    const noop = (): void => {};
    const observer = {
      onAuthFailure: (reason: string) => void failures.push(reason),
      onRevocationCheck: noop,
      onJwksRefresh: noop,
      onEventStreamConnected: noop,
      onEventStreamEvent: noop,
      onEventStreamReconnect: noop,
    };
    attachToApp([auth], { logger: createLogSink().logger, observers: { auth: observer } });
    await request(app).get('/user').expect(401);
    expect(failures).toEqual(['missing_token']);
  });
});

describe('optionalUser', () => {
  it('lets an anonymous request through with req.user undefined', async () => {
    const res = await request(setup()).get('/optional');
    expect(res.status).toBe(200);
    expect(res.body.user).toBeNull();
  });

  it('still refuses a bad token and an inactive user', async () => {
    const app = setup();
    expect((await authGet(app, '/optional', 'a.b.c')).status).toBe(401);
    const inactive = mintToken(keys, { is_active: false });
    expect((await authGet(app, '/optional', inactive)).status).toBe(403);
  });
});

describe('roles', () => {
  const guards: [string, Role][] = [
    ['/user', 'user'],
    ['/reader', 'reader'],
    ['/writer', 'writer'],
    ['/admin', 'admin'],
    ['/superuser', 'superadmin'],
  ];
  const rank = (r: Role) => ROLES.indexOf(r);

  it('applies the full 5×5 role matrix: allowed iff the token role ranks at least the guard role', async () => {
    const app = setup();
    for (const tokenRole of ROLES) {
      const token = mintToken(keys, { role: tokenRole });
      for (const [path, guardRole] of guards) {
        const res = await authGet(app, path, token);
        const allowed = rank(tokenRole) >= rank(guardRole);
        expect(res.status, `${tokenRole} on ${path}`).toBe(allowed ? 200 : 403);
        if (!allowed) {
          expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope"');
          expect(res.body).toMatchObject({
            detail: "The user doesn't have enough privileges",
            code: 'ERR_AUTH_INSUFFICIENT_ROLE',
          });
        }
      }
    }
  });

  it('answers 403 Inactive user to an inactive user on every guard', async () => {
    const app = setup();
    const token = mintToken(keys, { role: 'superadmin', is_active: false });
    for (const [path] of guards) {
      const res = await authGet(app, path, token);
      expectProblem(res, 403, { code: 'ERR_AUTH_INACTIVE_USER', detail: 'Inactive user' });
      expect(res.headers['www-authenticate']).toBeUndefined();
    }
  });

  it('treats superadmin without is_superuser, or is_superuser without superadmin, as an invalid token', async () => {
    const app = setup();
    for (const claims of [
      { role: 'superadmin', is_superuser: false },
      { role: 'admin', is_superuser: true },
    ]) {
      const res = await authGet(app, '/user', mintToken(keys, claims));
      expectProblem(res, 401, { challenge: 'Bearer error="invalid_token"' });
    }
  });

  it('returns the same named middleware per role and refuses an unknown role at construction', () => {
    setup();
    expect(auth!.requireRole('admin')).toBe(auth!.requireAdmin);
    expect(auth!.requireRole('admin').name).toBe('requireRoleAdmin');
    expect(() => auth!.requireRole('owner' as Role)).toThrow(/role must be one of/);
  });

  it('checks every guard of a stacked chain', async () => {
    const app = setup();
    expect((await authGet(app, '/stacked', mintToken(keys, { role: 'writer' }))).status).toBe(403);
    expect((await authGet(app, '/stacked', mintToken(keys, { role: 'admin' }))).status).toBe(200);
  });
});

describe('lifecycle', () => {
  it('closes idempotently and start() is a no-op without a JWKS', async () => {
    const app = setup();
    await expect(auth!.start()).resolves.toBeUndefined();
    await expect(auth!.close()).resolves.toBeUndefined();
    await expect(auth!.close()).resolves.toBeUndefined();
    // The guards keep working after close(): with a static key nothing was fetched or torn down.
    await request(app)
      .get('/user')
      .set(...bearer(mintToken(keys)))
      .expect(200);
  });

  it('throws a SettingsError naming the variable when a key cannot be loaded', () => {
    const s = testSettings({
      ACCESS_TOKEN_ALGORITHM: 'RS256',
      ACCESS_PUBLIC_KEY_FILE: 'test/fixtures/keys/rsa-public.pem',
    });
    const broken = { ...s, ACCESS_PUBLIC_KEY_FILE: '/nonexistent/key.pem' };
    expect(() => buildAuthDeps(broken)).toThrow(/ACCESS_PUBLIC_KEY_FILE: cannot read/);
  });
});
