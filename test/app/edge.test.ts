import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import express from 'express';
import { buildAuthDeps, createApp, type M8App } from 'express-m8';
import { generateKeys, mintToken, startJwksServer, testSettings } from 'express-m8/testing';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { EXPRESS_4 } from '../express-version.js';

const apps: M8App[] = [];
const servers: Server[] = [];
function track(app: M8App): M8App {
  apps.push(app);
  return app;
}
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
  await Promise.allSettled(apps.splice(0).map((app) => app.stop()));
});

async function listen(app: M8App): Promise<number> {
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

const HARDENING = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
};

const MALFORMED = {
  type: 'about:blank',
  title: 'Bad Request',
  status: 400,
  detail: 'Request body is not valid JSON.',
  code: 'ERR_HTTP_BAD_REQUEST',
};
const TOO_LARGE = {
  type: 'about:blank',
  title: 'Payload Too Large',
  status: 413,
  detail: 'Request body exceeds the size limit.',
  code: 'ERR_HTTP_PAYLOAD_TOO_LARGE',
};
const NOT_FOUND = {
  type: 'about:blank',
  title: 'Not Found',
  status: 404,
  detail: 'Not Found',
  code: 'ERR_HTTP_NOT_FOUND',
};

function echoRouter(): express.Router {
  const router = express.Router();
  router.post('/items', (req, res) => {
    res.status(201).json({ body: req.body ?? null });
  });
  router.get('/items', (_req, res) => {
    res.json([]);
  });
  router.options('/with-options', (_req, res) => {
    res.setHeader('Allow', 'GET, OPTIONS');
    res.status(204).end();
  });
  router.get('/with-options', (_req, res) => {
    res.json({ ok: true });
  });
  const nested = express.Router();
  nested.put('/things/:id', (req, res) => {
    res.json({ id: req.params.id, body: req.body ?? null });
  });
  router.use('/v1', nested);
  router.use('/hook', (req, res) => {
    res.json({ hook: req.body ?? null });
  });
  const sub = express();
  sub.post('/echo', (req, res) => {
    res.json({ sub: req.body ?? null });
  });
  router.use('/sub', sub);
  router.post('/async-fails', async () => {
    await Promise.resolve();
    throw new Error('async failure after the body was read');
  });
  return router;
}

/** A 1 MiB body that is not JSON: parsing it would answer 400, reading it costs a MiB. */
const HUGE_MALFORMED = `{${'x'.repeat(1024 * 1024 - 2)}}`;

describe('headers on refusals', () => {
  it('puts nosniff, X-Frame-Options DENY and CORP on the 400 for a refused Host', async () => {
    const app = track(createApp(testSettings({ ALLOWED_HOSTS: ['api.example.com'] }), echoRouter()));
    const res = await request(app).get('/items').set('Host', 'evil.example.net');
    expect(res.status).toBe(400);
    expect(res.body.detail).toBe('Invalid host header');
    expect(res.headers).toMatchObject(HARDENING);
  });

  it('puts nosniff, X-Frame-Options DENY and CORP on the 204 CORS preflight', async () => {
    const app = track(createApp(testSettings(), echoRouter()));
    const res = await request(app)
      .options('/items')
      .set('Origin', 'http://localhost:5173')
      .set('Access-Control-Request-Method', 'POST');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(res.headers).toMatchObject(HARDENING);
  });
});

describe('OPTIONS outside CORS', () => {
  it('answers OPTIONS without Origin like any unhandled request: 404 problem+json, no Allow listing the methods', async () => {
    const app = track(createApp(testSettings(), echoRouter()));
    for (const path of ['/items', '/v1/things/7', '/nowhere']) {
      const res = await request(app).options(path);
      expect(res.status, path).toBe(404);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.body).toEqual(NOT_FOUND);
      expect(res.headers.allow, path).toBeUndefined();
    }
  });

  it('still serves an OPTIONS handler the consumer registered, and CORS preflights as before', async () => {
    const app = track(createApp(testSettings(), echoRouter()));
    const own = await request(app).options('/with-options');
    expect(own.status).toBe(204);
    expect(own.headers.allow).toBe('GET, OPTIONS');
    const preflight = await request(app)
      .options('/items')
      .set('Origin', 'http://localhost:5173')
      .set('Access-Control-Request-Method', 'PUT');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toBe('GET,POST,PUT,PATCH,DELETE,OPTIONS');
    expect(preflight.headers.allow).toBeUndefined();
  });

  it('keeps OPTIONS answers out of reach also after start() and for routes added after createApp', async () => {
    const router = echoRouter();
    const app = track(createApp(testSettings(), router));
    router.get('/later', (_req, res) => {
      res.json({ later: true });
    });
    await app.start();
    expect((await request(app).options('/later')).status).toBe(404);
    expect((await request(app).options('/items')).headers.allow).toBeUndefined();
    expect((await request(app).get('/later')).body).toEqual({ later: true });
  });
});

describe('JSON bodies are parsed in the matched route only', () => {
  it('gives req.body to route handlers, nested routers, app.use mounts and sub-apps as before', async () => {
    const app = track(createApp(testSettings(), echoRouter()));
    expect((await request(app).post('/items').send({ a: 1 })).body).toEqual({ body: { a: 1 } });
    expect((await request(app).put('/v1/things/9').send({ b: 2 })).body).toEqual({ id: '9', body: { b: 2 } });
    expect((await request(app).post('/hook').send({ c: 3 })).body).toEqual({ hook: { c: 3 } });
    expect((await request(app).post('/sub/echo').send({ d: 4 })).body).toEqual({ sub: { d: 4 } });
    // An empty body: Express 5's body-parser leaves req.body unset, Express 4's sets {} (as before this change).
    expect((await request(app).post('/items')).body).toEqual({ body: EXPRESS_4 ? {} : null });
    await app.start();
    expect((await request(app).put('/v1/things/1').send([1, 2])).body).toEqual({ id: '1', body: [1, 2] });
  });

  it('answers malformed JSON with 400 and an oversize body with 413 in a matched route, as before', async () => {
    const app = track(createApp(testSettings(), echoRouter()));
    const malformed = await request(app).post('/items').set('Content-Type', 'application/json').send('{"a":');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual(MALFORMED);
    const big = await request(app)
      .put('/v1/things/1')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ s: 'x'.repeat(1024 * 1024) }));
    expect(big.status).toBe(413);
    expect(big.body).toEqual(TOO_LARGE);
  });

  it('hands a rejected async handler after the body was read to the error handler (500, no leak)', async () => {
    const app = track(createApp(testSettings(), echoRouter()));
    const res = await request(app).post('/async-fails').send({ a: 1 });
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('async failure');
  });

  it('never parses the body of a request to an unknown route: malformed or oversize bodies get 404', async () => {
    const app = track(createApp(testSettings(), echoRouter()));
    const malformed = await request(app)
      .post('/nowhere')
      .set('Content-Type', 'application/json')
      .send('{"a":');
    expect(malformed.status).toBe(404);
    expect(malformed.body).toEqual(NOT_FOUND);
    const big = await request(app)
      .post('/v1/nowhere')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ s: 'x'.repeat(2 * 1024 * 1024) }));
    expect(big.status).toBe(404);
  });

  it('parses the body only after the route guards: unauthenticated malformed JSON gets 401, not 400', async () => {
    const keys = await generateKeys('ES256', { kid: 'edge-1' });
    const jwks = await startJwksServer(keys);
    try {
      const settings = testSettings({ ACCESS_TOKEN_ALGORITHM: 'ES256', JWKS_URI: jwks.url });
      const auth = buildAuthDeps(settings);
      const router = express.Router();
      router.post('/orders', auth.requireUser, auth.requireWriter, (req, res) => {
        res.status(201).json({ order: req.body });
      });
      router.use('/admin', auth.requireAdmin);
      router.post('/admin/purge', (req, res) => {
        res.json({ purge: req.body });
      });
      const app = track(createApp(settings, router, { lifecycle: { auth } }));
      await app.start();
      const anonymous = await request(app)
        .post('/orders')
        .set('Content-Type', 'application/json')
        .send('{"a":');
      expect(anonymous.status).toBe(401);
      const anonymousAdmin = await request(app)
        .post('/admin/purge')
        .set('Content-Type', 'application/json')
        .send(HUGE_MALFORMED);
      expect(anonymousAdmin.status).toBe(401);
      const reader = mintToken(keys, { role: 'reader' });
      const refused = await request(app)
        .post('/orders')
        .set('Authorization', `Bearer ${reader}`)
        .set('Content-Type', 'application/json')
        .send('{"a":');
      expect(refused.status).toBe(403);
      const writer = mintToken(keys, { role: 'writer' });
      const ok = await request(app).post('/orders').set('Authorization', `Bearer ${writer}`).send({ qty: 2 });
      expect(ok.status).toBe(201);
      expect(ok.body).toEqual({ order: { qty: 2 } });
      const badJson = await request(app)
        .post('/orders')
        .set('Authorization', `Bearer ${writer}`)
        .set('Content-Type', 'application/json')
        .send('{"a":');
      expect(badJson.status).toBe(400);
      expect(badJson.body).toEqual(MALFORMED);
      const admin = mintToken(keys, { role: 'admin' });
      const purge = await request(app)
        .post('/admin/purge')
        .set('Authorization', `Bearer ${admin}`)
        .send({ p: 1 });
      expect(purge.body).toEqual({ purge: { p: 1 } });
    } finally {
      await jwks.close();
    }
  });

  it('keeps /health/live answering while 40 unauthenticated 1 MiB bodies flood an unknown route, none of them parsed', async () => {
    const app = track(createApp(testSettings(), echoRouter()));
    const port = await listen(app);
    const flood = Array.from({ length: 40 }, () =>
      fetch(`http://127.0.0.1:${port}/does-not-exist`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: HUGE_MALFORMED,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown })),
    );
    const live = await fetch(`http://127.0.0.1:${port}/api/health/live`);
    expect(live.status).toBe(200);
    const answers = await Promise.all(flood);
    // Parsed, each would be a 400 for malformed JSON: every one is the 404 of an unknown route instead.
    expect(answers.filter((a) => a.status !== 404)).toEqual([]);
    expect(answers[0]?.body).toEqual(NOT_FOUND);
  });
});

/** Sends the head of a POST whose body never completes, so its reservation stays held. */
function holdBody(port: number, path: string, length: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n{"a":`,
        () => resolve(socket),
      );
    });
    socket.on('error', reject);
  });
}

describe('request bodies in flight', () => {
  it('refuses a body with 503 and Retry-After while others fill the budget, and accepts again once they are done', async () => {
    const app = track(createApp(testSettings(), echoRouter(), { maxBodyBytesInFlight: 1024 * 1024 }));
    const port = await listen(app);
    const held = await holdBody(port, '/items', 1024 * 1024);
    let busy: request.Response | undefined;
    // The held request reaches the parser a moment after its head arrives: retry until its bytes count.
    for (let i = 0; i < 200 && busy?.status !== 503; i++) {
      busy = await request(`http://127.0.0.1:${port}`).post('/items').send({ b: 1 });
      if (busy.status !== 503) await new Promise((r) => setTimeout(r, 10));
    }
    expect(busy?.status).toBe(503);
    expect(busy?.headers['retry-after']).toBe('1');
    expect(busy?.headers['content-type']).toBe('application/problem+json');
    expect(busy?.body).toMatchObject({ status: 503, code: 'ERR_HTTP_BODY_BUDGET_EXHAUSTED' });
    // Bodiless requests and unknown routes are not affected by the budget.
    expect((await request(`http://127.0.0.1:${port}`).get('/items')).status).toBe(200);
    held.destroy();
    let after: request.Response | undefined;
    for (let i = 0; i < 200 && after?.status !== 201; i++) {
      after = await request(`http://127.0.0.1:${port}`).post('/items').send({ c: 1 });
      if (after.status !== 201) await new Promise((r) => setTimeout(r, 10));
    }
    expect(after?.status).toBe(201);
    expect(after?.body).toEqual({ body: { c: 1 } });
  });

  it('rejects a maxBodyBytesInFlight below one whole body, naming the option', () => {
    expect(() => createApp(testSettings(), echoRouter(), { maxBodyBytesInFlight: 1000 })).toThrow(
      /maxBodyBytesInFlight: must be a whole number of bytes of at least 1048576/,
    );
  });
});
