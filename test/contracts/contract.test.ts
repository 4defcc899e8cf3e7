import express from 'express';
import { type AuthDeps, buildAuthDeps, contract, createApp, type M8App, M8Error } from 'express-m8';
import { generateKeys, type JwksServer, mintToken, startJwksServer, testSettings } from 'express-m8/testing';
import pino from 'pino';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { routeMetaOf } from '../../src/routing/index.js';
import { EXPRESS_4, EXPRESS_MAJOR } from '../express-version.js';
import { createLogSink } from '../support/log-sink.js';

const apps: M8App[] = [];
afterEach(async () => {
  await Promise.allSettled(apps.splice(0).map((app) => app.stop()));
});

let keys: Awaited<ReturnType<typeof generateKeys>>;
let jwks: JwksServer;
let settings: ReturnType<typeof testSettings>;
let auth: AuthDeps;
let token: string;
beforeAll(async () => {
  keys = await generateKeys('ES256', { kid: 'contracts-1' });
  jwks = await startJwksServer(keys);
  settings = testSettings({ ACCESS_TOKEN_ALGORITHM: 'ES256', JWKS_URI: jwks.url });
  auth = buildAuthDeps(settings);
  token = mintToken(keys, { role: 'writer' });
});
afterAll(async () => {
  await jwks.close();
});

async function started(router: express.Router): Promise<M8App> {
  const app = createApp(settings, router, { lifecycle: { auth } });
  apps.push(app);
  await app.start();
  return app;
}

const Item = z.object({
  title: z.string().min(1),
  qty: z.number().int().positive(),
  tags: z.array(z.string()).default([]),
});

describe(`contract() over HTTP (express ${EXPRESS_MAJOR})`, () => {
  it('hands the parsed body to the handler: unknown keys stripped, defaults applied', async () => {
    const router = express.Router();
    router.post('/items', auth.requireUser, contract({ body: Item }), (req, res) => {
      res.status(201).json({ body: req.body, title: req.body.title.toUpperCase() });
    });
    const app = await started(router);
    const res = await request(app)
      .post('/items')
      .set('Authorization', `Bearer ${token}`)
      .send({ title: 'pen', qty: 2, isAdmin: true });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ body: { title: 'pen', qty: 2, tags: [] }, title: 'PEN' });
  });

  it('coerces the query string and replaces req.query with the output (Express 5 getter included)', async () => {
    const router = express.Router();
    const Page = z.object({
      limit: z.coerce.number().int().max(100),
      sort: z.enum(['asc', 'desc']).optional(),
    });
    router.get('/items', contract({ query: Page }), (req, res) => {
      const own = Object.getOwnPropertyDescriptor(req, 'query');
      res.json({ query: req.query, double: req.query.limit * 2, own: own !== undefined, again: req.query });
    });
    const app = await started(router);
    const res = await request(app).get('/items?limit=20&sort=asc&extra=1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      query: { limit: 20, sort: 'asc' },
      double: 40,
      own: true,
      again: { limit: 20, sort: 'asc' },
    });
  });

  it('coerces path parameters and replaces req.params', async () => {
    const router = express.Router();
    router.get('/items/:id', contract({ params: z.object({ id: z.coerce.number().int() }) }), (req, res) => {
      res.json({ id: req.params.id, type: typeof req.params.id });
    });
    const app = await started(router);
    expect((await request(app).get('/items/42')).body).toEqual({ id: 42, type: 'number' });
    const bad = await request(app).get('/items/abc');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ in: 'params', path: 'id', message: expect.any(String) }]);
  });

  it('validates headers and leaves req.headers as Node made them', async () => {
    const router = express.Router();
    const Headers = z.object({ 'x-tenant': z.string().regex(/^[a-z]+$/) });
    router.get('/tenant', contract({ headers: Headers }), (req, res) => {
      res.json({ tenant: req.headers['x-tenant'], host: typeof req.headers.host });
    });
    const app = await started(router);
    expect((await request(app).get('/tenant').set('X-Tenant', 'acme')).body).toEqual({
      tenant: 'acme',
      host: 'string',
    });
    const bad = await request(app).get('/tenant').set('X-Tenant', 'ACME-1');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ in: 'headers', path: 'x-tenant', message: expect.any(String) }]);
    const missing = await request(app).get('/tenant');
    expect(missing.body.errors[0]).toMatchObject({ in: 'headers', path: 'x-tenant' });
  });

  it('answers 400 problem+json listing every failing field across all four parts, never the values', async () => {
    const router = express.Router();
    router.post(
      '/orders/:id',
      auth.requireUser,
      contract({
        params: z.object({ id: z.uuid() }),
        query: z.object({ dryRun: z.enum(['true', 'false']) }),
        headers: z.object({ 'x-request-source': z.literal('web') }),
        body: z.object({ items: z.array(Item).min(1), note: z.string().max(5) }),
      }),
      (_req, res) => {
        res.status(201).end();
      },
    );
    const app = await started(router);
    const res = await request(app)
      .post('/orders/not-a-uuid?dryRun=maybe')
      .set('Authorization', `Bearer ${token}`)
      .set('X-Request-Source', 'cli')
      .send({
        items: [
          { title: 'ok', qty: 1 },
          { title: '', qty: -1 },
        ],
        note: 'secret-hunter2-value',
      });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      code: 'ERR_VALIDATION',
      detail: 'Request validation failed',
    });
    const where = res.body.errors.map((e: { in: string; path: string }) => `${e.in}:${e.path}`);
    expect(where).toEqual([
      'params:id',
      'query:dryRun',
      'headers:x-request-source',
      'body:items.1.title',
      'body:items.1.qty',
      'body:note',
    ]);
    for (const e of res.body.errors) expect(typeof e.message).toBe('string');
    expect(res.text).not.toContain('hunter2');
    expect(res.text).not.toContain('not-a-uuid');
    expect(res.body.errorsOmitted).toBeUndefined();
  });

  it('caps the errors list of a huge invalid array at 100 and counts the rest', async () => {
    const router = express.Router();
    router.post('/bulk', contract({ body: z.array(z.object({ n: z.number() })) }), (_req, res) => {
      res.end();
    });
    const app = await started(router);
    const body = Array.from({ length: 5000 }, () => ({ n: 'x' }));
    const res = await request(app).post('/bulk').send(body);
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveLength(100);
    expect(res.body.errors[99]).toMatchObject({ in: 'body', path: '99.n' });
    expect(res.body.errorsOmitted).toBe(4900);
    expect(res.text.length).toBeLessThan(20_000);
  });

  it('runs the guards before it: an anonymous invalid request gets 401, not 400', async () => {
    const router = express.Router();
    router.post('/items', auth.requireUser, contract({ body: Item }), (_req, res) => {
      res.status(201).end();
    });
    const app = await started(router);
    const anonymous = await request(app).post('/items').send({ title: 42 });
    expect(anonymous.status).toBe(401);
    const anonymousMalformed = await request(app)
      .post('/items')
      .set('Content-Type', 'application/json')
      .send('{"title":');
    expect(anonymousMalformed.status).toBe(401);
    const anonymousText = await request(app).post('/items').set('Content-Type', 'text/plain').send('hi');
    expect(anonymousText.status).toBe(401);
    const signedIn = await request(app)
      .post('/items')
      .set('Authorization', `Bearer ${token}`)
      .send({ title: 42 });
    expect(signedIn.status).toBe(400);
    expect(signedIn.body.code).toBe('ERR_VALIDATION');
  });

  it('answers 415 to a body that is not JSON, and 400 to a missing body', async () => {
    const router = express.Router();
    router.post('/items', auth.requireUser, contract({ body: Item }), (_req, res) => {
      res.status(201).end();
    });
    const app = await started(router);
    const text = await request(app)
      .post('/items')
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'text/plain')
      .send('title=pen');
    expect(text.status).toBe(415);
    expect(text.body).toMatchObject({ status: 415, code: 'ERR_HTTP_UNSUPPORTED_MEDIA_TYPE' });
    const form = await request(app)
      .post('/items')
      .set('Authorization', `Bearer ${token}`)
      .type('form')
      .send({ title: 'pen', qty: '1' });
    expect(form.status).toBe(415);
    const none = await request(app).post('/items').set('Authorization', `Bearer ${token}`);
    expect(none.status).toBe(400);
    expect(none.body.errors).toEqual([{ in: 'body', path: '', message: expect.any(String) }]);
  });

  it('works in nested routers mounted with use, and in an app mounted with app.use', async () => {
    const inner = express.Router({ mergeParams: true });
    // A guard of the whole router (use) runs before the route, the body is parsed in the route.
    inner.use(auth.requireUser);
    inner.post(
      '/items/:itemId',
      contract({ params: z.object({ shopId: z.string(), itemId: z.coerce.number() }), body: Item }),
      (req, res) => {
        res.json({ params: req.params, title: req.body.title });
      },
    );
    const sub = express();
    sub.get('/ping', contract({ query: z.object({ n: z.coerce.number() }) }), (req, res) => {
      res.json({ n: req.query.n + 1 });
    });
    const router = express.Router();
    router.use('/shops/:shopId', inner);
    router.use('/sub', sub);
    const app = await started(router);
    const ok = await request(app)
      .post('/shops/s1/items/7')
      .set('Authorization', `Bearer ${token}`)
      .send({ title: 'pen', qty: 1, junk: 1 });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ params: { shopId: 's1', itemId: 7 }, title: 'pen' });
    const bad = await request(app)
      .post('/shops/s1/items/x')
      .set('Authorization', `Bearer ${token}`)
      .send({ title: 'pen', qty: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ in: 'params', path: 'itemId', message: expect.any(String) }]);
    expect((await request(app).get('/sub/ping?n=1')).body).toEqual({ n: 2 });
    expect((await request(app).get('/sub/ping?n=x')).status).toBe(400);
  });

  it('works in a plain Express app with express.json() at the edge', async () => {
    const app = express();
    app.use(express.json());
    app.post(
      '/items',
      contract({ body: Item, query: z.object({ v: z.coerce.number().default(1) }) }),
      (req, res) => {
        res.json({ v: req.query.v, body: req.body });
      },
    );
    const ok = await request(app).post('/items?v=2').send({ title: 'a', qty: 1, x: 0 });
    expect(ok.body).toEqual({ v: 2, body: { title: 'a', qty: 1, tags: [] } });
    const text = await request(app).post('/items').set('Content-Type', 'text/plain').send('a');
    expect(text.status).toBe(415);
  });

  it('attaches the spec, exactly as given, for the OpenAPI generator', () => {
    const spec = { summary: 'Create', body: Item, responses: { 201: Item, 404: 'No such shop' } };
    const handler = contract(spec);
    expect(routeMetaOf(handler)).toEqual([{ kind: 'contract', spec }]);
    const meta = routeMetaOf(handler)[0];
    expect(meta?.kind === 'contract' && meta.spec).toBe(spec);
  });

  it('refuses a spec whose parts are not zod schemas, naming each', () => {
    const bad = { body: { title: 'string' }, query: 'x', responses: { 200: 5, nope: 'x' } };
    expect(() => contract(bad as never)).toThrow(M8Error);
    expect(() => contract(bad as never)).toThrow(
      /query must be a zod 4 schema; body must be a zod 4 schema; responses\[200\] must be a zod 4 schema or a description string; responses key "nope" is not a status/,
    );
    expect(() => contract(null as never)).toThrow(/spec must be an object/);
  });

  it('fails a request whose schema is async with 500, logging ERR_CONTRACT_SPEC and no input', async () => {
    const sink = createLogSink();
    const router = express.Router();
    const Slow = z.object({ name: z.string().refine(async (v) => v !== 'taken') });
    router.post('/names', contract({ body: Slow }), (_req, res) => {
      res.end();
    });
    const app = createApp(settings, router, {
      lifecycle: { auth },
      logger: pino({ level: 'info' }, sink.stream),
    });
    apps.push(app);
    await app.start();
    const res = await request(app).post('/names').send({ name: 'secret-name-value' });
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('ERR_HTTP_INTERNAL');
    expect(res.text).not.toContain('secret-name-value');
    expect(sink.text()).toContain('ERR_CONTRACT_SPEC');
    expect(sink.text()).toContain('async refinement');
  });

  it.runIf(EXPRESS_4)('runs on Express 4 (the CI job aliases express to express@4)', () => {
    expect(EXPRESS_MAJOR).toBe(4);
  });
});
