import express from 'express';
import { createApp } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import { Counter, collectDefaultMetrics, Registry, register } from 'prom-client';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSamples, sampleValue } from './helpers.js';

function metricsApp(overrides: Parameters<typeof testSettings>[0] = {}) {
  const router = express
    .Router()
    .get('/items/:id', (_req, res) => {
      res.json({});
    })
    .get('/orders', (_req, res) => {
      res.json([]);
    });
  return createApp(testSettings({ METRICS_ENABLED: true, ...overrides }), router);
}

async function scrape(app: ReturnType<typeof metricsApp>) {
  return parseSamples((await request(app).get('/metrics').expect(200)).text);
}

describe('app.metrics', () => {
  it("serves the consumer's own metrics from app.metrics.registry on the same /metrics", async () => {
    const app = metricsApp();
    expect(app.metrics.enabled).toBe(true);
    expect(app.metrics.registry).toBeInstanceOf(Registry);
    expect(app.metrics.prefix).toBe('api_');
    const orders = new Counter({
      name: 'orders_created_total',
      help: 'Orders created.',
      labelNames: ['channel'],
      registers: [app.metrics.registry],
    });
    orders.inc({ channel: 'web' }, 3);
    const samples = await scrape(app);
    expect(sampleValue(samples, 'orders_created_total', { channel: 'web' })).toBe(3);
    expect(samples.some((s) => s.name === 'api_http_requests_total')).toBe(false);
    await request(app).get('/orders').expect(200);
    expect(sampleValue(await scrape(app), 'api_http_requests_total', { route: '/orders' })).toBe(1);
  });

  it('is a registry nothing serves when METRICS_ENABLED=false, so registering needs no branch', async () => {
    const app = createApp(testSettings(), express.Router());
    expect(app.metrics).toMatchObject({ enabled: false, prefix: '' });
    new Counter({ name: 'jobs_total', help: 'Jobs.', registers: [app.metrics.registry] }).inc();
    await request(app).get('/metrics').expect(404);
  });
});

describe('METRICS_PREFIX', () => {
  it.each([
    ['myapp', 'myapp_'],
    ['shop_', 'shop_'],
    ['none', ''],
  ])(
    'METRICS_PREFIX=%s names the built-in metrics with %j instead of the API_PREFIX one',
    async (value, prefix) => {
      const app = metricsApp({ METRICS_PREFIX: value });
      expect(app.metrics.prefix).toBe(prefix);
      await request(app).get('/orders').expect(200);
      const samples = await scrape(app);
      expect(sampleValue(samples, `${prefix}http_requests_total`, { route: '/orders' })).toBe(1);
      expect(samples.some((s) => s.name.startsWith('api_'))).toBe(false);
    },
  );

  it('refuses a value that cannot start a Prometheus name, naming METRICS_PREFIX', () => {
    expect(() => testSettings({ METRICS_PREFIX: '9lives' })).toThrow(
      /METRICS_PREFIX: expected a Prometheus name prefix/,
    );
  });
});

describe('Node process metrics', () => {
  afterAll(() => register.clear());

  it('keep their standard unprefixed names, in two apps of one process and beside the global registry', async () => {
    collectDefaultMetrics(); // a consumer's own default metrics on prom-client's global registry
    const first = metricsApp();
    const second = metricsApp({ API_PREFIX: '/v2' });
    for (const app of [first, second]) {
      const names = new Set((await scrape(app)).map((s) => s.name));
      for (const name of [
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_eventloop_lag_seconds',
        'nodejs_heap_size_used_bytes',
      ]) {
        expect(names, name).toContain(name);
      }
      expect([...names].some((n) => /^(api|v2)_(process|nodejs)_/.test(n))).toBe(false);
    }
    expect(await register.getSingleMetricAsString('process_cpu_seconds_total')).toContain(
      'process_cpu_seconds_total',
    );
  });
});

describe('METRICS_EXCLUDE_PATHS', () => {
  it('keeps route templates and static paths out of the HTTP metrics, and counts the rest', async () => {
    const app = metricsApp({ METRICS_EXCLUDE_PATHS: '/items/:id,/api/health/live,/metrics' });
    await request(app).get('/items/42').expect(200);
    await request(app).get('/api/health/live').expect(200);
    await request(app).get('/orders').expect(200);
    await request(app).get('/metrics').expect(200);
    const samples = await scrape(app);
    const routes = new Set(
      samples.filter((s) => s.name === 'api_http_requests_total').map((s) => s.labels.route),
    );
    expect(routes).toEqual(new Set(['/orders']));
    expect(
      samples.some(
        (s) => s.name === 'api_http_request_duration_seconds_count' && s.labels.route === '/items/:id',
      ),
    ).toBe(false);
  });

  it('refuses an entry that is not a path, naming METRICS_EXCLUDE_PATHS', () => {
    expect(() => testSettings({ METRICS_EXCLUDE_PATHS: 'health' })).toThrow(
      /METRICS_EXCLUDE_PATHS: expected paths/,
    );
  });
});
