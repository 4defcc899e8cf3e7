import { randomBytes } from 'node:crypto';
import express, { type Express } from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import type { M8Metrics } from '../../src/metrics/index.js';
import { markUnmatched } from '../../src/routing/index.js';
import { EXPRESS_4 } from '../express-version.js';
import {
  appWithMetrics,
  labelValues,
  metricsSettings,
  mustCreate,
  parseSamples,
  sampleValue,
} from './helpers.js';

const opened: M8Metrics[] = [];
afterEach(async () => {
  for (const m of opened.splice(0)) await m.close();
});

function setup(): { app: Express; metrics: M8Metrics; scrape(): Promise<ReturnType<typeof parseSamples>> } {
  const metrics = mustCreate(metricsSettings({ API_PREFIX: '/' }));
  opened.push(metrics);
  const app = appWithMetrics(metrics);
  return {
    app,
    metrics,
    async scrape() {
      return parseSamples((await request(app).get('/metrics').expect(200)).text);
    },
  };
}

const ok = (_req: express.Request, res: express.Response): void => {
  res.end('ok');
};

/** Three levels of routers with params at several levels, plus an array mount and a regexp route. */
function mountShop(app: Express): void {
  const items = express.Router({ mergeParams: true });
  items.get('/:id', ok);
  items.get('/', ok);
  const orders = express.Router({ mergeParams: true });
  orders.use('/items', items);
  orders.get('/summary', ok);
  const shops = express.Router({ mergeParams: true });
  shops.use('/orders/:orderId', orders);
  shops.get('/', ok);
  app.use('/shops/:shopId', shops);
  const legacy = express.Router();
  legacy.get('/ping', ok);
  app.use(['/v1', '/v2'], legacy);
  app.get(/^\/files\/(.*)$/, ok);
  app.use((req, res) => {
    markUnmatched(req);
    res.status(404).end();
  });
}

// Full templates through mounts need the mount path each layer keeps since router 2 (Express 5); Express 4
// layers do not keep it, so `it5` (Express 5 only) runs the tests of full templates below mounts.
const it5 = it.skipIf(EXPRESS_4);

describe('route templates', () => {
  it5('names nested routers three deep with params at every level by their full template', async () => {
    const { app, scrape } = setup();
    mountShop(app);
    await request(app).get('/shops/s1/orders/o1/items/i1').expect(200);
    await request(app).get('/shops/s2/orders/o2/items/i2').expect(200);
    await request(app).get('/shops/s3/orders/o3/items/').expect(200);
    await request(app).get('/shops/s3/orders/o4/summary').expect(200);
    await request(app).get('/shops/s9').expect(200);
    const samples = await scrape();
    const total = 'http_requests_total';
    expect(sampleValue(samples, total, { route: '/shops/:shopId/orders/:orderId/items/:id' })).toBe(2);
    expect(sampleValue(samples, total, { route: '/shops/:shopId/orders/:orderId/items/' })).toBe(1);
    expect(sampleValue(samples, total, { route: '/shops/:shopId/orders/:orderId/summary' })).toBe(1);
    expect(sampleValue(samples, total, { route: '/shops/:shopId/' })).toBe(1);
    for (const route of labelValues(samples, total, 'route')) expect(route).not.toMatch(/s\d|o\d|i\d/);
  });

  it5('names array mounts by their joined paths and regexp routes by their source', async () => {
    const { app, scrape } = setup();
    mountShop(app);
    await request(app).get('/v1/ping').expect(200);
    await request(app).get('/v2/ping').expect(200);
    await request(app).get('/files/a/b.txt').expect(200);
    await request(app).get('/files/c.txt').expect(200);
    const samples = await scrape();
    expect(sampleValue(samples, 'http_requests_total', { route: '/v1,/v2/ping' })).toBe(2);
    expect(sampleValue(samples, 'http_requests_total', { route: String(/^\/files\/(.*)$/) })).toBe(2);
  });

  it('reports every path that matched no route as UNMATCHED, so scanners add one label value', async () => {
    const { app, scrape } = setup();
    mountShop(app);
    await request(app).get('/wp-admin/x.php').expect(404);
    for (let i = 0; i < 100; i++) {
      await request(app)
        .get(`/${randomBytes(6).toString('hex')}/${i}.php`)
        .expect(404);
    }
    const samples = await scrape();
    const routes = labelValues(samples, 'http_requests_total', 'route');
    expect(routes).toEqual(new Set(['UNMATCHED']));
    expect(sampleValue(samples, 'http_requests_total', { route: 'UNMATCHED', status_code: '404' })).toBe(101);
  });

  it('reports a 404 inside a matched mount as UNMATCHED, not as the mount path', async () => {
    const { app, scrape } = setup();
    mountShop(app);
    await request(app).get('/shops/s1/orders/o1/nope').expect(404);
    await request(app).get('/shops/s1/orders/o1/items/i1/deeper').expect(404);
    await request(app).delete('/shops/s1/orders/o1/summary').expect(404);
    const samples = await scrape();
    expect(labelValues(samples, 'http_requests_total', 'route')).toEqual(new Set(['UNMATCHED']));
    expect(sampleValue(samples, 'http_requests_total', { method: 'GET', route: 'UNMATCHED' })).toBe(2);
    expect(sampleValue(samples, 'http_requests_total', { method: 'DELETE', route: 'UNMATCHED' })).toBe(1);
  });

  it('does not let a route that passed the request on with next() name a later 404', async () => {
    const { app, scrape } = setup();
    app.get('/pass/:id', (_req, _res, next) => {
      next();
    });
    mountShop(app);
    await request(app).get('/pass/1').expect(404);
    const samples = await scrape();
    expect(labelValues(samples, 'http_requests_total', 'route')).toEqual(new Set(['UNMATCHED']));
  });

  it5('names a route correctly after a sibling mount matched the prefix but answered nothing', async () => {
    const { app, scrape } = setup();
    const first = express.Router();
    first.get('/other', ok);
    const second = express.Router();
    second.get('/:id/detail', ok);
    app.use('/a/:x', first);
    app.use('/a/:y', second);
    app.get('/a/:z/root', ok);
    await request(app).get('/a/1/2/detail').expect(200);
    await request(app).get('/a/1/root').expect(200);
    const samples = await scrape();
    expect(sampleValue(samples, 'http_requests_total', { route: '/a/:y/:id/detail' })).toBe(1);
    expect(sampleValue(samples, 'http_requests_total', { route: '/a/:z/root' })).toBe(1);
  });

  it5('names a router mounted at two places by the mount each request went through', async () => {
    const { app, scrape } = setup();
    const shared = express.Router();
    shared.get('/:id', ok);
    app.use('/users', shared);
    app.use('/admins', shared);
    await request(app).get('/users/1').expect(200);
    await request(app).get('/admins/2').expect(200);
    await request(app).get('/admins/3').expect(200);
    const samples = await scrape();
    expect(sampleValue(samples, 'http_requests_total', { route: '/users/:id' })).toBe(1);
    expect(sampleValue(samples, 'http_requests_total', { route: '/admins/:id' })).toBe(2);
  });

  it5('names routes added after the first request once instrument() walks the app again', async () => {
    const { app, metrics, scrape } = setup();
    app.get('/early', ok);
    await request(app).get('/early').expect(200);
    const late = express.Router();
    late.get('/:id', ok);
    app.use('/late/:group', late);
    metrics.instrument(app);
    await request(app).get('/late/g/7').expect(200);
    const samples = await scrape();
    expect(sampleValue(samples, 'http_requests_total', { route: '/late/:group/:id' })).toBe(1);
  });

  it5('exposes the same resolution through routeOf(req)', async () => {
    const { app, metrics } = setup();
    const seen: string[] = [];
    const sub = express.Router();
    sub.get('/:id', (req, res) => {
      res.on('finish', () => seen.push(metrics.routeOf(req)));
      res.end();
    });
    app.use('/things/:kind', sub);
    await request(app).get('/things/a/1').expect(200);
    expect(seen).toEqual(['/things/:kind/:id']);
  });

  it.runIf(EXPRESS_4)(
    'names a route below a mount by its own template on Express 4, never by the path',
    async () => {
      const { app, scrape } = setup();
      const sub = express.Router();
      sub.get('/:id', ok);
      app.use('/things/:kind', sub);
      app.get('/top/:id', ok);
      await request(app).get('/things/a/1').expect(200);
      await request(app).get('/things/b/2').expect(200);
      await request(app).get('/top/3').expect(200);
      const samples = await scrape();
      expect(sampleValue(samples, 'http_requests_total', { route: '/:id' })).toBe(2);
      expect(sampleValue(samples, 'http_requests_total', { route: '/top/:id' })).toBe(1);
      for (const route of labelValues(samples, 'http_requests_total', 'route'))
        expect(route).not.toMatch(/\/[ab12]\b/);
    },
  );
});
