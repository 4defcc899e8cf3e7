import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { type AuthDeps, buildAuthDeps } from '../../src/auth/index.js';
import { SettingsError } from '../../src/errors.js';
import { routeMetaOf } from '../../src/routing/route-meta.js';
import { generateKeys, mintToken, testSettings } from '../../src/testing/index.js';
import { createLogSink } from '../support/log-sink.js';
import { authGet, expectProblem } from './helpers.js';

const settings = testSettings();
const hs = await generateKeys('HS256', { secret: settings.ACCESS_SECRET_KEY! });
let auth: AuthDeps | undefined;
afterEach(async () => {
  await auth?.close();
  auth = undefined;
});

function setup() {
  const sink = createLogSink({ level: 'debug' });
  auth = buildAuthDeps(settings, { logger: sink.logger, verifiedCacheSize: 0 });
  const a = auth;
  const app = express();
  const ok = (_req: express.Request, res: express.Response) => void res.json({ ok: true });
  app.get('/all', a.requireScopes('items:read', 'items:write'), ok);
  app.get('/any', a.requireAnyScope('items:read', 'items:admin'), ok);
  app.get(
    '/claim',
    a.requireClaim((c) => c.tenant_id === '0b7d1c8e-8f5a-4e1b-9c1d-2a3b4c5d6e7f', 'tenant is Acme'),
    ok,
  );
  app.get(
    '/throws',
    a.requireClaim(() => {
      throw new Error('boom');
    }, 'always throws'),
    ok,
  );
  app.get('/stacked', a.requireUser, a.requireAdmin, a.requireScopes('items:write'), ok);
  return { app, sink };
}

const token = (claims: Record<string, unknown>) => mintToken(hs, claims);

describe('scope and claim guards', () => {
  it('requireScopes needs every scope; the 403 names them in WWW-Authenticate', async () => {
    const { app, sink } = setup();
    expect((await authGet(app, '/all', token({ scope: 'items:read items:write x' }))).status).toBe(200);
    const res = await authGet(app, '/all', token({ scope: 'items:read' }));
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", scope="items:read items:write"',
    );
    expect(res.body).toMatchObject({ status: 403, code: 'ERR_AUTH_INSUFFICIENT_SCOPE' });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(sink.lines().find((l) => l.event === 'auth_failure')).toMatchObject({
      reason: 'insufficient_scope',
      claim: 'scope',
      status: 403,
    });
    // No token is still 401, not 403.
    expect((await request(app).get('/all')).status).toBe(401);
  });

  it('requireAnyScope needs one of them', async () => {
    const { app } = setup();
    expect((await authGet(app, '/any', token({ scope: 'items:admin' }))).status).toBe(200);
    const res = await authGet(app, '/any', token({ scope: 'other' }));
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", scope="items:read items:admin"',
    );
    expect((await authGet(app, '/any', token({}))).status).toBe(403);
  });

  it('requireClaim runs the check on the claims; a failing or throwing check is a 403', async () => {
    const { app, sink } = setup();
    const acme = token({ tenant_id: '0b7d1c8e-8f5a-4e1b-9c1d-2a3b4c5d6e7f' });
    expect((await authGet(app, '/claim', acme)).status).toBe(200);
    const res = await authGet(app, '/claim', token({}));
    expectProblem(res, 403, { challenge: 'Bearer error="insufficient_scope"' });
    expect(res.body.code).toBe('ERR_AUTH_INSUFFICIENT_SCOPE');
    const thrown = await authGet(app, '/throws', acme);
    expect(thrown.status).toBe(403);
    expect(sink.lines().some((l) => l.event === 'auth_claim_check_failed')).toBe(true);
  });

  it('composes with role guards: each requirement answers for itself, the claim check runs once', async () => {
    const sink = createLogSink({ level: 'debug' });
    let verifications = 0;
    const deps = buildAuthDeps(settings, { logger: sink.logger, verifiedCacheSize: 0 });
    auth = deps;
    const app = express();
    const ok = (_req: express.Request, res: express.Response) => void res.json({ ok: true });
    app.get(
      '/stacked',
      deps.requireAdmin,
      deps.requireScopes('items:write'),
      deps.requireClaim(() => {
        verifications++;
        return true;
      }, 'counts'),
      ok,
    );
    expect((await authGet(app, '/stacked', token({ role: 'admin', scope: 'items:write' }))).status).toBe(200);
    expect(verifications).toBe(1);
    expect((await authGet(app, '/stacked', token({ role: 'writer', scope: 'items:write' }))).body.code).toBe(
      'ERR_AUTH_INSUFFICIENT_ROLE',
    );
    expect((await authGet(app, '/stacked', token({ role: 'admin' }))).body.code).toBe(
      'ERR_AUTH_INSUFFICIENT_SCOPE',
    );
  });

  it('carries route metadata for the OpenAPI generator', () => {
    const deps = buildAuthDeps(settings);
    auth = deps;
    expect(routeMetaOf(deps.requireScopes('a', 'b', 'a'))).toEqual([{ kind: 'auth', scopes: ['a', 'b'] }]);
    expect(routeMetaOf(deps.requireAnyScope('a'))).toEqual([{ kind: 'auth', anyScopes: ['a'] }]);
    expect(routeMetaOf(deps.requireClaim(() => true, 'tenant is Acme'))).toEqual([
      { kind: 'auth', claim: 'tenant is Acme' },
    ]);
    expect(deps.requireScopes('a').name).toBe('requireScopes');
  });

  it('refuses scopes that cannot be named in a header, and a claim guard without a description', () => {
    const deps = buildAuthDeps(settings);
    auth = deps;
    for (const bad of [[], [''], ['a b'], ['a"b'], ['a\\b'], [42 as unknown as string]]) {
      expect(() => deps.requireScopes(...bad), JSON.stringify(bad)).toThrow(SettingsError);
    }
    expect(() => deps.requireClaim(() => true, ' ')).toThrow(SettingsError);
  });
});
