import type { AddressInfo } from 'node:net';
import express from 'express';
import { type Metric, Registry } from 'prom-client';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics, type M8Metrics, metricsPrefix } from '../../src/metrics/index.js';
import { appWithMetrics, metricsSettings, mustCreate, parseSamples, sampleValue } from './helpers.js';

const opened: M8Metrics[] = [];
function track(metrics: M8Metrics): M8Metrics {
  opened.push(metrics);
  return metrics;
}
afterEach(async () => {
  for (const m of opened.splice(0)) await m.close();
});

describe('metric names', () => {
  it('normalises API_PREFIX into a metric name prefix', () => {
    expect(metricsPrefix('/api')).toBe('api_');
    expect(metricsPrefix('/api/v1')).toBe('api_v1_');
    expect(metricsPrefix('')).toBe('');
    expect(metricsPrefix('/')).toBe('');
    expect(metricsPrefix('/my-svc/v2/')).toBe('my_svc_v2_');
    expect(metricsPrefix('/2024')).toBe('_2024_');
  });

  it('returns undefined when METRICS_ENABLED is false', () => {
    expect(createMetrics(metricsSettings({ METRICS_ENABLED: false }))).toBeUndefined();
  });

  it('exposes every family of every group under the API_PREFIX prefix', async () => {
    const metrics = track(mustCreate(metricsSettings({ API_PREFIX: '/api/v1' })));
    const app = appWithMetrics(metrics);
    app.get('/items/:id', (_req, res) => {
      res.json({ ok: true });
    });
    await request(app).get('/items/1').expect(200);
    metrics.observers.auth.onAuthFailure('expired');
    metrics.observers.auth.onRevocationCheck('active');
    metrics.observers.auth.onJwksRefresh('success');
    metrics.observers.health.onCheck('db', 'degraded', 0.012);
    metrics.observers.db.onQuery(0.003);
    metrics.observers.db.onError();
    metrics.observers.db.poolStats(() => ({ total: 4, idle: 3, waiting: 0 }));
    const res = await request(app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseSamples(res.text);
    const names = new Set(samples.map((s) => s.name));
    for (const name of [
      'api_v1_http_requests_total',
      'api_v1_http_request_duration_seconds_bucket',
      'api_v1_http_request_duration_seconds_sum',
      'api_v1_http_request_duration_seconds_count',
      'api_v1_health_check_status',
      'api_v1_health_check_duration_seconds_count',
      'api_v1_auth_failures_total',
      'api_v1_revocation_checks_total',
      'api_v1_jwks_refresh_total',
      'api_v1_db_query_duration_seconds_count',
      'api_v1_db_errors_total',
      'api_v1_db_pool_connections',
      'process_cpu_user_seconds_total',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(names, name).toContain(name);
    }
    expect(
      sampleValue(samples, 'api_v1_http_requests_total', { route: '/items/:id', status_code: '200' }),
    ).toBe(1);
    expect(sampleValue(samples, 'api_v1_health_check_status', { check: 'db' })).toBe(0.5);
    expect(sampleValue(samples, 'api_v1_auth_failures_total', { reason: 'expired' })).toBe(1);
    expect(sampleValue(samples, 'api_v1_db_pool_connections', { state: 'idle' })).toBe(3);
    expect(sampleValue(samples, 'api_v1_db_errors_total')).toBe(1);
  });

  it('registers only the families of the groups listed in METRICS_GROUPS', async () => {
    const metrics = track(
      mustCreate(metricsSettings({ METRICS_GROUPS: ['traffic', 'auth'], API_PREFIX: '/' })),
    );
    const app = appWithMetrics(metrics);
    app.get('/x', (_req, res) => {
      res.status(500).end();
    });
    await request(app).get('/x').expect(500);
    metrics.observers.db.onQuery(0.1);
    metrics.observers.health.onCheck('db', 'ok', 0.1);
    metrics.observers.auth.onAuthFailure('missing_token');
    const text = (await request(app).get('/metrics').expect(200)).text;
    const names = new Set(parseSamples(text).map((s) => s.name));
    expect([...names].sort()).toEqual(['auth_failures_total', 'http_requests_total']);
  });
});

describe('HTTP recording', () => {
  it('counts duration and errors per method, route and status class', async () => {
    const metrics = track(mustCreate(metricsSettings()));
    const app = appWithMetrics(metrics);
    app.post('/orders', (_req, res) => {
      res.status(201).end();
    });
    app.get('/orders/:id', (req, res) => {
      res.status(req.params.id === '404' ? 404 : 200).end();
    });
    await request(app).post('/orders').expect(201);
    await request(app).get('/orders/1').expect(200);
    await request(app).get('/orders/2').expect(200);
    await request(app).get('/orders/404').expect(404);
    const samples = parseSamples((await request(app).get('/metrics')).text);
    const total = 'api_http_requests_total';
    expect(sampleValue(samples, total, { method: 'GET', route: '/orders/:id', status_code: '200' })).toBe(2);
    expect(sampleValue(samples, total, { method: 'GET', route: '/orders/:id', status_code: '404' })).toBe(1);
    expect(sampleValue(samples, total, { method: 'POST', route: '/orders', status_code: '201' })).toBe(1);
    expect(sampleValue(samples, 'api_http_errors_total', { route: '/orders/:id', status_class: '4xx' })).toBe(
      1,
    );
    expect(
      sampleValue(samples, 'api_http_errors_total', { route: '/orders', status_class: '4xx' }),
    ).toBeUndefined();
    const count = 'api_http_request_duration_seconds_count';
    expect(sampleValue(samples, count, { method: 'GET', route: '/orders/:id' })).toBe(3);
    const inf = 'api_http_request_duration_seconds_bucket';
    expect(sampleValue(samples, inf, { method: 'GET', route: '/orders/:id', le: '+Inf' })).toBe(3);
    expect(sampleValue(samples, inf, { method: 'GET', route: '/orders/:id', le: '10' })).toBe(3);
  });

  it('counts a 400 as a 4xx error and a 3xx as none, at the exact class boundaries', async () => {
    const metrics = track(mustCreate(metricsSettings()));
    const app = appWithMetrics(metrics);
    app.get('/status/:code', (req, res) => {
      res.status(Number(req.params.code)).end();
    });
    for (const code of [200, 399, 400, 400, 499, 500, 599])
      await request(app).get(`/status/${code}`).expect(code);
    const samples = parseSamples((await request(app).get('/metrics')).text);
    const errors = (statusClass: string) =>
      sampleValue(samples, 'api_http_errors_total', { route: '/status/:code', status_class: statusClass });
    expect(errors('4xx')).toBe(3);
    expect(errors('5xx')).toBe(2);
    const classes = samples
      .filter((s) => s.name === 'api_http_errors_total')
      .map((s) => s.labels.status_class);
    expect(classes.sort()).toEqual(['4xx', '5xx']);
  });

  it('counts a request whose handler throws with its 500 and its route', async () => {
    const metrics = track(mustCreate(metricsSettings()));
    const app = appWithMetrics(metrics);
    app.get('/boom/:id', () => {
      throw new Error('kaboom');
    });
    app.get('/async-boom', async () => {
      await Promise.resolve();
      throw new Error('async kaboom');
    });
    app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).end();
    });
    await request(app).get('/boom/7').expect(500);
    await request(app).get('/async-boom').expect(500);
    const samples = parseSamples((await request(app).get('/metrics')).text);
    expect(sampleValue(samples, 'api_http_requests_total', { route: '/boom/:id', status_code: '500' })).toBe(
      1,
    );
    expect(
      sampleValue(samples, 'api_http_requests_total', { route: '/async-boom', status_code: '500' }),
    ).toBe(1);
    expect(sampleValue(samples, 'api_http_errors_total', { route: '/boom/:id', status_class: '5xx' })).toBe(
      1,
    );
  });

  it('keeps two apps in one process on separate registries', async () => {
    const one = track(mustCreate(metricsSettings()));
    const two = track(mustCreate(metricsSettings()));
    const appOne = appWithMetrics(one);
    const appTwo = appWithMetrics(two);
    const shared = express.Router();
    shared.get('/hello', (_req, res) => {
      res.end('hi');
    });
    appOne.use(shared);
    appTwo.use(shared);
    await request(appOne).get('/hello').expect(200);
    await request(appOne).get('/hello').expect(200);
    await request(appTwo).get('/hello').expect(200);
    const s1 = parseSamples((await request(appOne).get('/metrics')).text);
    const s2 = parseSamples((await request(appTwo).get('/metrics')).text);
    expect(sampleValue(s1, 'api_http_requests_total', { route: '/hello' })).toBe(2);
    expect(sampleValue(s2, 'api_http_requests_total', { route: '/hello' })).toBe(1);
    expect(one.registry).not.toBe(two.registry);
  });
});

describe('scrape gate', () => {
  const credential = 'scrape-Credential-0123456789-abcdefgh!';

  it('answers 401 with WWW-Authenticate: Bearer and problem+json without the credential', async () => {
    const app = appWithMetrics(track(mustCreate(metricsSettings({ METRICS_SCRAPE_CREDENTIAL: credential }))));
    const res = await request(app).get('/metrics').expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 401, code: 'ERR_METRICS_UNAUTHORIZED' });
    expect(res.text).not.toContain(credential);
  });

  it('answers 401 to a wrong credential, a prefix of it, and another scheme', async () => {
    const app = appWithMetrics(track(mustCreate(metricsSettings({ METRICS_SCRAPE_CREDENTIAL: credential }))));
    for (const header of [
      `Bearer ${credential}x`,
      `Bearer ${credential.slice(0, 10)}`,
      `Basic ${credential}`,
      'Bearer ',
    ]) {
      const res = await request(app).get('/metrics').set('Authorization', header).expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('serves the metrics to the right credential, whatever the case of the scheme', async () => {
    const app = appWithMetrics(track(mustCreate(metricsSettings({ METRICS_SCRAPE_CREDENTIAL: credential }))));
    await request(app).get('/metrics').set('Authorization', `Bearer ${credential}`).expect(200);
    const res = await request(app).get('/metrics').set('Authorization', `bearer ${credential}`).expect(200);
    expect(res.text).toContain('api_http_requests_total');
  });

  it('is open when no scrape credential is set', async () => {
    const app = appWithMetrics(track(mustCreate(metricsSettings())));
    await request(app).get('/metrics').expect(200);
  });
});

describe('METRICS_PORT', () => {
  it('serves /metrics on a separate server, gated, closed by close() and reopened by listen()', async () => {
    const credential = 'scrape-Credential-0123456789-abcdefgh!';
    const metrics = mustCreate(
      metricsSettings({ METRICS_PORT: 9464, METRICS_SCRAPE_CREDENTIAL: credential }),
    );
    expect(metrics.listen).toBeTypeOf('function');
    const app = express();
    app.use(metrics.middleware);
    app.get('/work', (_req, res) => {
      res.end('done');
    });
    await request(app).get('/work').expect(200);
    if (metrics.listen === undefined) throw new Error('no listen()');
    const server = await metrics.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${credential}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain(
      'api_http_requests_total{method="GET",route="/work",status_code="200"} 1',
    );
    expect(
      (await fetch(`${base}/other`, { headers: { authorization: `Bearer ${credential}` } })).status,
    ).toBe(404);
    await metrics.close();
    await metrics.close();
    expect(server.listening).toBe(false);
    // Not final: a failed start can be retried, and the series are kept.
    const again = await metrics.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`http://127.0.0.1:${(again.address() as AddressInfo).port}/metrics`, {
      headers: { authorization: `Bearer ${credential}` },
    });
    expect(await res.text()).toContain('route="/work",status_code="200"} 1');
    await metrics.close();
  });

  it('has no listen() when METRICS_PORT is unset', () => {
    expect(track(mustCreate(metricsSettings())).listen).toBeUndefined();
  });
});

describe('scrape format', () => {
  it('formats the HTTP series exactly as prom-client would, escapes included', async () => {
    const metrics = track(mustCreate(metricsSettings()));
    const app = appWithMetrics(metrics);
    app.get(/^\/x"?y$/, (_req, res) => {
      res.status(503).end();
    });
    app.get('/plain/:id', (_req, res) => {
      res.end();
    });
    await request(app).get('/xy').expect(503);
    await request(app).get('/plain/1').expect(200);
    await request(app).get('/nothing').expect(404);
    const fast = await metrics.registry.metrics();
    const plain = new Registry();
    for (const metric of metrics.registry.getMetricsAsArray()) {
      if (metric.name.startsWith('api_http_')) plain.registerMetric(metric as unknown as Metric);
    }
    const reference = await plain.metrics();
    expect(reference).toContain('route="/^\\\\/x\\"?y$/"');
    expect(reference).toContain(
      'api_http_request_duration_seconds_bucket{method="GET",route="/plain/:id",le="0.005"}',
    );
    for (const family of reference.trim().split('\n\n')) expect(fast).toContain(family);
  });

  it('keeps default labels set on the registry in every line', async () => {
    const metrics = track(mustCreate(metricsSettings()));
    metrics.registry.setDefaultLabels({ service: 'orders' });
    const app = appWithMetrics(metrics);
    app.get('/x', (_req, res) => {
      res.end();
    });
    await request(app).get('/x').expect(200);
    const samples = parseSamples((await request(app).get('/metrics')).text);
    expect(sampleValue(samples, 'api_http_requests_total', { route: '/x', service: 'orders' })).toBe(1);
  });
});
