import { createRequire } from 'node:module';
import express from 'express';
import { createApp, type M8App } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXPRESS_MAJOR } from '../express-version.js';

const apps: M8App[] = [];
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);
beforeEach(() => {
  rejections.length = 0;
  process.on('unhandledRejection', onRejection);
});
afterEach(async () => {
  process.off('unhandledRejection', onRejection);
  await Promise.allSettled(apps.splice(0).map((app) => app.stop()));
});

/** The README's pattern: async handlers that await something, then throw. */
function asyncRouter(): express.Router {
  const router = express.Router();
  router.get('/items/:id', async (req, res) => {
    await Promise.resolve();
    if (req.params.id === 'boom') throw new Error('db password is hunter2-secret');
    res.json({ id: req.params.id });
  });
  router.get('/empty-rejection', async () => {
    await Promise.resolve();
    return Promise.reject(undefined);
  });
  const nested = express.Router();
  nested.use(async (req, _res, next) => {
    await Promise.resolve();
    if (req.query.deny === '1') throw new Error('middleware token=abc failed');
    next();
  });
  nested.get('/orders', (_req, res) => {
    res.json([]);
  });
  router.use('/shop', nested);
  return router;
}

async function problem(app: M8App, path: string) {
  // A rejection that nothing catches leaves the request unanswered: fail fast instead of at the test timeout.
  const res = await request(app).get(path).timeout(3000);
  expect(res.status).toBe(500);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status: 500, code: 'ERR_HTTP_INTERNAL' });
  expect(res.text).not.toMatch(/hunter2|token=abc|Error:|at /);
  return res;
}

describe(`a rejected promise from an async handler (express ${EXPRESS_MAJOR})`, () => {
  it.runIf(process.env.EXPRESS_M8_TEST_EXPRESS)(
    'runs the tests and the library code on the express install the job asked for',
    () => {
      const wanted = createRequire(import.meta.url)(
        `${process.env.EXPRESS_M8_TEST_EXPRESS}/package.json`,
      ) as { version: string };
      expect(EXPRESS_MAJOR).toBe(Number(wanted.version.split('.')[0]));
      // createApp builds its app with the express that src/ imports: Express 4 apps have `lazyrouter`.
      const app = createApp(testSettings(), express.Router()) as unknown as { lazyrouter?: unknown };
      expect(typeof app.lazyrouter === 'function').toBe(EXPRESS_MAJOR === 4);
    },
  );

  it('answers 500 problem+json from an async route handler and keeps serving', async () => {
    const app = createApp(testSettings(), asyncRouter());
    apps.push(app);
    await problem(app, '/items/boom');
    await request(app).get('/items/7').expect(200, { id: '7' });
    await request(app).get('/api/ping').expect(200, { status: 'ok' });
    expect(rejections).toEqual([]);
  });

  it('answers 500 from a handler that rejects without a reason, and from an async middleware in a nested router', async () => {
    const app = createApp(testSettings(), asyncRouter());
    apps.push(app);
    await problem(app, '/empty-rejection');
    await problem(app, '/shop/orders?deny=1');
    await request(app).get('/shop/orders').expect(200, []);
    expect(rejections).toEqual([]);
  });

  it('covers routes registered on the consumer router after createApp, once the app has started', async () => {
    const router = express.Router();
    const app = createApp(testSettings(), router);
    apps.push(app);
    await request(app).get('/api/health/live').expect(200);
    router.get('/late', async () => {
      await Promise.resolve();
      throw new Error('late failure');
    });
    await app.start();
    await problem(app, '/late');
    expect(rejections).toEqual([]);
  });

  it('answers 500 when an async error handler of the consumer rejects', async () => {
    const router = express.Router();
    router.get('/sync-boom', () => {
      throw new Error('first');
    });
    router.use(
      async (err: Error, _req: express.Request, _res: express.Response, _next: express.NextFunction) => {
        await Promise.resolve();
        throw new Error(`handler failed too after ${err.message}`);
      },
    );
    const app = createApp(testSettings(), router);
    apps.push(app);
    await problem(app, '/sync-boom');
    expect(rejections).toEqual([]);
  });

  it('leaves a synchronous handler that calls next(err) as it was', async () => {
    const router = express.Router();
    router.get('/next-err', (_req, _res, next) => {
      next(new Error('passed on'));
    });
    router.get('/fine', (_req, res) => {
      res.send('fine');
    });
    const app = createApp(testSettings(), router);
    apps.push(app);
    await problem(app, '/next-err');
    await request(app).get('/fine').expect(200, 'fine');
  });
});

describe(`handlers registered late, with the body gate (express ${EXPRESS_MAJOR})`, () => {
  it('answers 500 from an async route added after start() and after the first request, body or not', async () => {
    const router = express.Router();
    const app = createApp(testSettings(), router);
    apps.push(app);
    await app.start();
    await request(app).get('/api/health/live').expect(200);
    router.post('/late', async () => {
      await Promise.resolve();
      throw new Error('late failure');
    });
    const noBody = await request(app).post('/late').timeout(3000);
    expect(noBody.status).toBe(500);
    const withBody = await request(app).post('/late').send({ a: 1 }).timeout(3000);
    expect(withBody.status).toBe(500);
    expect(rejections).toEqual([]);
  });

  it('hands a rejection with a body to the error handler once, for a route added before the first request', async () => {
    const router = express.Router();
    const errors: unknown[] = [];
    const app = createApp(testSettings(), router);
    apps.push(app);
    router.post('/once', async () => {
      await Promise.resolve();
      throw new Error('once');
    });
    router.use((err: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
      errors.push(err);
      next(err);
    });
    const res = await request(app).post('/once').send({ a: 1 }).timeout(3000);
    expect(res.status).toBe(500);
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveLength(1);
    expect(rejections).toEqual([]);
  });

  it('keeps the host check and the guards before the body after routes are added late', async () => {
    const router = express.Router();
    const app = createApp(testSettings({ ALLOWED_HOSTS: ['api.example.com'] }), router);
    apps.push(app);
    await app.start();
    await request(app).get('/api/health/live').expect(200);
    router.get('/late', (_req, res) => {
      res.send('late');
    });
    await request(app).get('/late').set('Host', 'api.example.com').expect(200, 'late');
    const res = await request(app)
      .post('/nope')
      .set('Host', 'evil.example')
      .set('Content-Type', 'application/json')
      .send('{bad');
    expect(res.status).toBe(400);
    expect(res.body.detail).toBe('Invalid host header');
    expect(res.headers['x-request-id']).toBeDefined();
  });
});
