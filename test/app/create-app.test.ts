import express from 'express';
import { createApp, createDbEngine, type M8App } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { EXPRESS_4 } from '../express-version.js';
import { createLogSink } from '../support/log-sink.js';

// Express 4 layers keep no mount path: a route below a mount is named by its own template only.
const LINE_ROUTE = EXPRESS_4 ? '/lines/:lineId' : '/orders/:orderId/lines/:lineId';

const apps: M8App[] = [];
function track(app: M8App): M8App {
  apps.push(app);
  return app;
}
afterEach(async () => {
  await Promise.allSettled(apps.splice(0).map((app) => app.stop()));
});

function itemsRouter(): express.Router {
  const router = express.Router();
  router.get('/items/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  router.post('/items', (req, res) => {
    res.status(201).json(req.body);
  });
  router.get('/boom', () => {
    throw new Error('db password is hunter2-secret');
  });
  return router;
}

describe('createApp', () => {
  it('never listens and answers health 503 initializing until start() completes', async () => {
    const app = track(createApp(testSettings(), itemsRouter()));
    expect(app.ready).toBe(false);
    await request(app).get('/api/health/').expect(503, { status: 'initializing', ready: false });
    await request(app).get('/api/health/live').expect(200);
    await app.start();
    expect(app.ready).toBe(true);
    await request(app).get('/api/health').expect(200, { status: 'ok' });
    await request(app).get('/api/health/ready').expect(200, { status: 'ok' });
  });

  it('answers 503 shutting_down while the shutdown delay runs', async () => {
    const app = track(createApp(testSettings({ SHUTDOWN_DELAY_SECONDS: 0.3 }), itemsRouter()));
    await app.start();
    const stopping = app.stop();
    await request(app).get('/api/health/').expect(503, { status: 'shutting_down', ready: false });
    await stopping;
  });

  it('mounts the consumer router at the root and built-ins under API_PREFIX', async () => {
    const app = track(
      createApp(testSettings(), itemsRouter(), { serviceName: 'orders', serviceVersion: '2.1.0' }),
    );
    await request(app).get('/items/7').expect(200, { id: '7' });
    await request(app).get('/api/ping').expect(200, { status: 'ok' });
    const meta = await request(app).get('/api/meta').expect(200);
    expect(meta.body).toEqual({ service: 'orders', version: '2.1.0', express_m8: expect.any(String) });
    const openapi = await request(app).get('/api/openapi.json').expect(200);
    expect(openapi.body.info).toEqual({ title: 'orders', version: '2.1.0' });
  });

  it('serves built-ins at the root when API_PREFIX is empty', async () => {
    const app = track(createApp(testSettings({ API_PREFIX: '/' }), itemsRouter()));
    await request(app).get('/ping').expect(200, { status: 'ok' });
    await request(app).get('/health/live').expect(200);
  });

  it('puts X-Request-ID on every answer and removes X-Powered-By', async () => {
    const app = track(createApp(testSettings(), itemsRouter()));
    for (const res of [
      await request(app).get('/items/1'),
      await request(app).get('/nowhere'),
      await request(app).get('/boom'),
      await request(app).post('/items').set('Content-Type', 'application/json').send('{"broken'),
    ]) {
      expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
    const echoed = await request(app).get('/items/1').set('X-Request-ID', 'trace-abc.123');
    expect(echoed.headers['x-request-id']).toBe('trace-abc.123');
  });

  it('answers unknown routes, malformed JSON and thrown errors with problem+json and no leak', async () => {
    const { logger, text } = createLogSink({ level: 'info' });
    const app = track(createApp(testSettings(), itemsRouter(), { logger }));
    const notFound = await request(app).get('/nowhere').expect(404);
    expect(notFound.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(notFound.body).toMatchObject({ status: 404, code: 'ERR_HTTP_NOT_FOUND' });

    const badJson = await request(app).post('/items').set('Content-Type', 'application/json').send('{"a":');
    expect(badJson.status).toBe(400);
    expect(badJson.body).toMatchObject({ status: 400, code: 'ERR_HTTP_BAD_REQUEST' });

    await request(app).post('/items').send({ name: 'ok' }).expect(201, { name: 'ok' });

    const boom = await request(app).get('/boom').expect(500);
    expect(boom.body).toMatchObject({ status: 500, code: 'ERR_HTTP_INTERNAL' });
    expect(boom.text).not.toContain('hunter2');
    expect(boom.text).not.toContain('at ');
    // Logged in full server-side, with the request id.
    expect(text()).toContain('hunter2');
    expect(text()).toContain(boom.headers['x-request-id']);
  });

  it('refuses a foreign Host but keeps the Kubernetes probes reachable', async () => {
    const app = track(createApp(testSettings({ ALLOWED_HOSTS: ['api.example.com'] }), itemsRouter()));
    await app.start();
    await request(app).get('/items/1').set('Host', 'api.example.com').expect(200);
    const refused = await request(app).get('/items/1').set('Host', 'evil.example.org').expect(400);
    expect(refused.body).toMatchObject({ detail: 'Invalid host header', code: 'ERR_HTTP_INVALID_HOST' });
    expect(refused.headers['x-request-id']).toBeDefined();
    await request(app).get('/api/health/live').set('Host', '10.1.2.3:8000').expect(200);
    await request(app).get('/api/health/ready').set('Host', '10.1.2.3:8000').expect(200);
    await request(app).get('/api/health/').set('Host', '10.1.2.3:8000').expect(400);
  });

  it('answers CORS preflights for allowed origins only', async () => {
    const app = track(createApp(testSettings(), itemsRouter()));
    const allowed = await request(app)
      .options('/items/1')
      .set('Origin', 'http://localhost:5173')
      .set('Access-Control-Request-Method', 'GET');
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    const denied = await request(app).get('/items/1').set('Origin', 'https://evil.example');
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    expect(denied.headers.vary).toMatch(/Origin/);
  });

  it('calls configure before the consumer router and runs validators at start', async () => {
    const order: string[] = [];
    const app = track(
      createApp(testSettings(), itemsRouter(), {
        lifecycle: {
          configure(m8) {
            order.push('configure');
            m8.get('/items/:id', (_req, res) => {
              res.json({ from: 'configure' });
            });
          },
          startupValidators: [() => void order.push('validator')],
        },
      }),
    );
    expect(order).toEqual(['configure']);
    await request(app).get('/items/1').expect(200, { from: 'configure' });
    await app.start();
    expect(order).toEqual(['configure', 'validator']);
  });

  it('adds the database check of lifecycle.db to the health detail and disposes it at stop', async () => {
    const settings = testSettings({ HEALTH_DETAIL_CREDENTIAL: 'detail-credential-for-tests' });
    const engine = createDbEngine(settings);
    // PGlite boots its WebAssembly on first use: the validator waits for it, as a service would.
    const app = track(
      createApp(settings, itemsRouter(), {
        health: { timeoutMs: 5000 },
        lifecycle: { db: engine, startupValidators: [() => engine.check().then(() => undefined)] },
      }),
    );
    await app.start();
    const detail = await request(app)
      .get('/api/health/')
      .set('X-Internal-Token', 'detail-credential-for-tests')
      .expect(200);
    expect(detail.body.checks).toEqual([
      expect.objectContaining({ name: 'database', status: 'ok', ok: true }),
    ]);
    await app.stop();
    await expect(engine.db.selectNoFrom((eb) => eb.lit(1).as('one')).execute()).rejects.toMatchObject({
      code: 'ERR_DB_DISPOSED',
    });
  }, 60_000);

  it('logs a startup summary with every secret masked', async () => {
    const { logger, lines, text } = createLogSink({ level: 'info' });
    const settings = testSettings({
      HEALTH_DETAIL_CREDENTIAL: 'health-cred-very-secret',
      METRICS_ENABLED: true,
      METRICS_SCRAPE_CREDENTIAL: 'scrape-cred-very-secret',
    });
    const app = track(createApp(settings, itemsRouter(), { logger }));
    await app.start();
    const summary = lines().find((line) => line.msg === 'configuration');
    expect(summary).toBeDefined();
    expect(text()).not.toContain(settings.ACCESS_SECRET_KEY);
    expect(text()).not.toContain('health-cred-very-secret');
    expect(text()).not.toContain('scrape-cred-very-secret');
  });

  it('serves /metrics at the root with route templates, one registry per app', async () => {
    const settings = testSettings({ METRICS_ENABLED: true });
    const nested = express.Router({ mergeParams: true });
    nested.get('/lines/:lineId', (_req, res) => {
      res.json({});
    });
    const router = express.Router();
    router.use('/orders/:orderId', nested);
    const first = track(createApp(settings, router));
    const second = track(createApp(settings, itemsRouter()));
    await first.start();
    await second.start();
    await request(first).get('/orders/41/lines/2').expect(200);
    await request(first).get('/wp-admin/setup.php').expect(404);
    const scraped = await request(first).get('/metrics').expect(200);
    expect(scraped.text).toContain(
      `api_http_requests_total{method="GET",route="${LINE_ROUTE}",status_code="200"} 1`,
    );
    expect(scraped.text).toContain('route="UNMATCHED"');
    expect(scraped.text).not.toContain('wp-admin');
    const other = await request(second).get('/metrics').expect(200);
    expect(other.text).not.toContain('/orders/:orderId');
  });

  it('gates /metrics with METRICS_SCRAPE_CREDENTIAL', async () => {
    const settings = testSettings({
      METRICS_ENABLED: true,
      METRICS_SCRAPE_CREDENTIAL: 'scrape-credential-value',
    });
    const app = track(createApp(settings, itemsRouter()));
    const denied = await request(app).get('/metrics').expect(401);
    expect(denied.headers['www-authenticate']).toBe('Bearer');
    await request(app).get('/metrics').set('Authorization', 'Bearer wrong').expect(401);
    await request(app).get('/metrics').set('Authorization', 'Bearer scrape-credential-value').expect(200);
  });
});

describe('createApp request log', () => {
  it('logs one line per request with the route template, user-free fields, trace ids and refused hosts', async () => {
    const { logger, lines } = createLogSink({ level: 'info' });
    const nested = express.Router({ mergeParams: true });
    nested.get('/lines/:lineId', (_req, res) => {
      res.json({});
    });
    const router = express.Router();
    router.use('/orders/:orderId', nested);
    const app = track(createApp(testSettings({ ALLOWED_HOSTS: ['api.example.com'] }), router, { logger }));
    await app.start();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await request(app)
      .get('/orders/9/lines/3?token=abc')
      .set('Host', 'api.example.com')
      .set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`)
      .expect(200);
    await request(app).get('/orders/9/lines/3').set('Host', 'evil.example.org').expect(400);
    const requests = lines().filter((line) => line.msg === 'request completed');
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({
      method: 'GET',
      route: LINE_ROUTE,
      status: 200,
      trace_id: traceId,
      span_id: '00f067aa0ba902b7',
    });
    expect(String(requests[0]?.url)).not.toContain('abc');
    expect(requests[1]).toMatchObject({ status: 400, route: 'UNMATCHED' });
  });
});

describe('createApp with trusted hosts and metrics', () => {
  it('lets Prometheus scrape by pod IP and counts refused hosts', async () => {
    const settings = testSettings({
      ALLOWED_HOSTS: ['api.example.com'],
      METRICS_ENABLED: true,
      METRICS_SCRAPE_CREDENTIAL: 'scrape-credential-value',
    });
    const app = track(createApp(settings, express.Router()));
    await request(app).get('/anything').set('Host', 'evil.example.org').expect(400);
    await request(app).post('/metrics').set('Host', '10.1.2.3:8000').expect(400);
    await request(app).post('/api/health/live').set('Host', '10.1.2.3:8000').expect(400);
    const scraped = await request(app)
      .get('/metrics')
      .set('Host', '10.1.2.3:8000')
      .set('Authorization', 'Bearer scrape-credential-value')
      .expect(200);
    expect(scraped.text).toMatch(
      /api_http_requests_total\{method="GET",route="UNMATCHED",status_code="400"\} 1/,
    );
  });
});

describe('createApp and malformed requests', () => {
  it('answers an undecodable path parameter with 400, not 500', async () => {
    const app = track(createApp(testSettings(), itemsRouter()));
    const res = await request(app).get('/items/%E0%A4%A').expect(400);
    expect(res.body).toMatchObject({ status: 400, detail: 'Bad Request' });
  });
});

describe('createApp docs pages', () => {
  it('serves every asset the Swagger UI and ReDoc pages reference, from installed packages', async () => {
    const app = track(createApp(testSettings(), express.Router()));
    for (const page of ['/api/docs', '/api/redoc']) {
      const html = await request(app).get(page).expect(200);
      const assets = [...html.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? '');
      expect(assets.length).toBeGreaterThan(0);
      for (const asset of assets) {
        expect(asset.startsWith('/api/')).toBe(true);
        await request(app).get(asset).expect(200);
      }
    }
  });
});
