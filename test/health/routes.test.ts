import request from 'supertest';
import { describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { type HealthCheck, healthResult } from '../../src/health/index.js';
import { healthApp, stableHeaders } from './helpers.js';

const CREDENTIAL = 'health-detail-credential-0123456789';
const okCheck: HealthCheck = async function db() {
  return healthResult('db', true, { pool: 3 });
};
const DETAIL_KEYS = ['checks', 'express_m8', 'node', 'service', 'status', 'version'];
const CHECK_KEYS = ['error', 'latency_ms', 'meta', 'name', 'ok', 'status'];

describe('health gate before and after readiness', () => {
  it('answers 503 initializing on /health, /health/ and /health/ready before start', async () => {
    const { app } = healthApp({ state: 'initializing', health: { checks: [okCheck] } });
    for (const path of ['/api/health', '/api/health/', '/api/health/ready']) {
      const res = await request(app).get(path);
      expect(res.status).toBe(503);
      expect(res.text).toBe('{"status":"initializing","ready":false}');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    }
  });

  it('answers 503 shutting_down while shutting down and once stopped', async () => {
    const h = healthApp({ state: 'shutting_down', health: { checks: [okCheck] } });
    for (const state of ['shutting_down', 'stopped'] as const) {
      h.state = state;
      for (const path of ['/api/health/', '/api/health/ready']) {
        const res = await request(h.app).get(path);
        expect(res.status).toBe(503);
        expect(res.text).toBe('{"status":"shutting_down","ready":false}');
      }
    }
  });

  it('does not run checks before the app is ready', async () => {
    let calls = 0;
    const { app } = healthApp({
      state: 'initializing',
      health: {
        checks: [
          async () => {
            calls++;
            return healthResult('y', true);
          },
        ],
      },
    });
    await request(app).get('/api/health');
    await request(app).get('/api/health/ready');
    expect(calls).toBe(0);
  });

  it('serves /health/live with 200 ok in every state, before start included', async () => {
    const h = healthApp({
      state: 'initializing',
      health: { checks: [async () => healthResult('db', false)] },
    });
    for (const state of ['initializing', 'ready', 'shutting_down', 'stopped'] as const) {
      h.state = state;
      const res = await request(h.app).get('/api/health/live');
      expect(res.status).toBe(200);
      expect(res.text).toBe('{"status":"ok"}');
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it('answers the same on /health and /health/ once ready', async () => {
    const { app } = healthApp({ health: { checks: [okCheck] } });
    const a = await request(app).get('/api/health');
    const b = await request(app).get('/api/health/');
    expect(a.status).toBe(200);
    expect(a.text).toBe('{"status":"ok"}');
    expect(b.text).toBe(a.text);
  });

  it('answers HEAD like GET without a body, and never sends an ETag', async () => {
    const { app } = healthApp({ health: { checks: [okCheck] } });
    const head = await request(app).head('/api/health');
    expect(head.status).toBe(200);
    expect(head.text ?? '').toBe('');
    expect(head.headers['cache-control']).toBe('no-store');
    const get = await request(app).get('/api/health');
    expect(get.headers.etag).toBeUndefined();
  });

  it('mounts at the root when the prefix is empty', async () => {
    const { app } = healthApp({ prefix: '' });
    expect((await request(app).get('/health/')).text).toBe('{"status":"ok"}');
    expect((await request(app).get('/health/live')).status).toBe(200);
    expect((await request(app).get('/api/health')).status).toBe(404);
  });
});

describe('public and detailed bodies', () => {
  it('gives a public caller exactly {"status": <aggregate>} with 200', async () => {
    const { app } = healthApp({ credential: CREDENTIAL, health: { checks: [okCheck] } });
    const res = await request(app).get('/api/health/');
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({ status: 'ok' });
  });

  it('answers 503 with {"status":"fail"} when the aggregate is fail', async () => {
    const { app } = healthApp({ health: { checks: [okCheck, async () => healthResult('cache', false)] } });
    const res = await request(app).get('/api/health');
    expect(res.status).toBe(503);
    expect(res.body).toStrictEqual({ status: 'fail' });
  });

  it('gives the holder of HEALTH_DETAIL_CREDENTIAL the detailed body with exact keys', async () => {
    const { app } = healthApp({ credential: CREDENTIAL, health: { checks: [okCheck] } });
    const res = await request(app).get('/api/health/').set('X-Internal-Token', CREDENTIAL);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(DETAIL_KEYS);
    expect(res.body).toMatchObject({
      status: 'ok',
      service: 'orders',
      version: '1.2.3',
      express_m8: pkg.version,
      node: process.version,
    });
    expect(res.body.checks).toHaveLength(1);
    expect(Object.keys(res.body.checks[0]).sort()).toEqual(CHECK_KEYS);
    expect(res.body.checks[0]).toMatchObject({
      name: 'db',
      status: 'ok',
      error: null,
      meta: { pool: 3 },
      ok: true,
    });
    expect(typeof res.body.checks[0].latency_ms).toBe('number');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('shows version null and meta null when they are absent', async () => {
    const { app } = healthApp({
      version: null,
      health: { detailPublic: true, checks: [async () => ({ name: 'plain', status: 'ok' as const })] },
    });
    const res = await request(app).get('/api/health');
    expect(res.body.version).toBeNull();
    expect(res.body.checks[0]).toMatchObject({ name: 'plain', error: null, meta: null });
  });

  it('keeps the detailed answer 503 when the aggregate is fail', async () => {
    const { app } = healthApp({
      credential: CREDENTIAL,
      health: { checks: [async () => healthResult('db', false)] },
    });
    const res = await request(app).get('/api/health').set('X-Internal-Token', CREDENTIAL);
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('fail');
    expect(res.body.checks[0]).toMatchObject({ name: 'db', status: 'fail', ok: false });
  });

  it('makes a wrong credential look exactly like no credential', async () => {
    const { app } = healthApp({ credential: CREDENTIAL, health: { checks: [okCheck] } });
    const none = await request(app).get('/api/health/');
    const wrongs = [
      `${CREDENTIAL}x`,
      CREDENTIAL.slice(0, -1),
      'x',
      CREDENTIAL.toUpperCase(),
      `${CREDENTIAL} ${CREDENTIAL}`,
    ];
    for (const wrong of wrongs) {
      const res = await request(app).get('/api/health/').set('X-Internal-Token', wrong);
      expect(res.status).toBe(none.status);
      expect(res.text).toBe(none.text);
      expect(stableHeaders(res.headers)).toEqual(stableHeaders(none.headers));
    }
    expect(none.text).toBe('{"status":"ok"}');
  });

  it('ignores X-Internal-Token when no credential is configured, even an empty one', async () => {
    const { app } = healthApp({ credential: '', health: { checks: [okCheck] } });
    const res = await request(app).get('/api/health').set('X-Internal-Token', '');
    expect(res.body).toStrictEqual({ status: 'ok' });
    const unset = healthApp({ credential: undefined });
    expect(
      (await request(unset.app).get('/api/health').set('X-Internal-Token', 'anything')).body,
    ).toStrictEqual({
      status: 'ok',
    });
  });

  it('shows the detailed body to everyone when detailPublic is set', async () => {
    const { app } = healthApp({ health: { detailPublic: true, checks: [okCheck] } });
    const res = await request(app).get('/api/health');
    expect(Object.keys(res.body).sort()).toEqual(DETAIL_KEYS);
  });

  it('shows the detailed body when detailAuthorizer returns or resolves true', async () => {
    const sync = healthApp({
      health: { detailAuthorizer: (req) => req.get('x-ops') === 'yes', checks: [okCheck] },
    });
    expect(Object.keys((await request(sync.app).get('/api/health').set('X-Ops', 'yes')).body).sort()).toEqual(
      DETAIL_KEYS,
    );
    expect((await request(sync.app).get('/api/health').set('X-Ops', 'no')).body).toStrictEqual({
      status: 'ok',
    });
    const asyncAuth = healthApp({ health: { detailAuthorizer: async () => true, checks: [okCheck] } });
    expect(Object.keys((await request(asyncAuth.app).get('/api/health')).body).sort()).toEqual(DETAIL_KEYS);
  });

  it('treats an authorizer that resolves false, a truthy non-boolean, throws or rejects as unauthorised', async () => {
    const authorizers = [
      async () => false,
      (() => 'yes') as unknown as () => boolean,
      () => {
        throw new Error('authorizer exploded');
      },
      async () => {
        throw new Error('authorizer rejected');
      },
    ];
    for (const detailAuthorizer of authorizers) {
      const { app } = healthApp({ health: { detailAuthorizer, checks: [okCheck] } });
      const res = await request(app).get('/api/health');
      expect(res.status).toBe(200);
      expect(res.text).toBe('{"status":"ok"}');
    }
  });

  it('lets the credential through even when the authorizer says no', async () => {
    const { app } = healthApp({
      credential: CREDENTIAL,
      health: { detailAuthorizer: () => false, checks: [okCheck] },
    });
    const res = await request(app).get('/api/health').set('X-Internal-Token', CREDENTIAL);
    expect(Object.keys(res.body).sort()).toEqual(DETAIL_KEYS);
  });
});

describe('/health/ready', () => {
  it('mirrors the public /health answer, never the detailed one', async () => {
    for (const ok of [true, false]) {
      const { app } = healthApp({
        credential: CREDENTIAL,
        health: { detailPublic: true, checks: [async () => healthResult('db', ok)] },
      });
      const ready = await request(app).get('/api/health/ready').set('X-Internal-Token', CREDENTIAL);
      expect(ready.status).toBe(ok ? 200 : 503);
      expect(ready.text).toBe(ok ? '{"status":"ok"}' : '{"status":"fail"}');
      const publicAnswer = await healthApp({ health: { checks: [async () => healthResult('db', ok)] } });
      const pub = await request(publicAnswer.app).get('/api/health/');
      expect(ready.status).toBe(pub.status);
      expect(ready.text).toBe(pub.text);
    }
  });

  it('answers degraded with 200', async () => {
    const { app } = healthApp({
      health: { checks: [async () => ({ name: 'q', status: 'degraded' as const })] },
    });
    const res = await request(app).get('/api/health/ready');
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"status":"degraded"}');
  });

  it('answers unknown with 200 under the default policy and fail with 503 under strict', async () => {
    const checks = [
      async () => healthResult('db', true),
      async () => ({ name: 'q', status: 'unknown' as const }),
    ];
    const lenient = healthApp({ health: { checks } });
    for (const path of ['/api/health', '/api/health/ready']) {
      const res = await request(lenient.app).get(path);
      expect(res.status).toBe(200);
      expect(res.text).toBe('{"status":"unknown"}');
    }
    const strict = healthApp({ health: { checks, policy: 'strict' } });
    const res = await request(strict.app).get('/api/health/ready');
    expect(res.status).toBe(503);
    expect(res.text).toBe('{"status":"fail"}');
  });
});
