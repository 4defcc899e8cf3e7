import { createServer, type Server } from 'node:http';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppServerWith } from '../../src/http/server.js';
import { buildAuthDeps, createApp, type M8App } from '../../src/index.js';
import { generateKeys, mintToken, startJwksServer, testSettings } from '../../src/testing/index.js';

type Keys = Awaited<ReturnType<typeof generateKeys>>;

/** What a client sees of one answer, minus what differs by nature (ids, dates, timings). */
interface Seen {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const VARYING = new Set(['x-request-id', 'date', 'connection', 'keep-alive']);

async function see(server: Server, step: (agent: ReturnType<typeof request>) => request.Test): Promise<Seen> {
  const res = await step(request(server));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (!VARYING.has(name)) headers[name] = String(value);
  }
  const text = res.text ?? '';
  // Metrics text carries durations (so its length varies): keep only the request counters.
  if (text.startsWith('# HELP')) delete headers['content-length'];
  const body = text.startsWith('# HELP')
    ? text
        .split('\n')
        .filter((line) => line.startsWith('api_http_requests_total'))
        .join('\n')
    : text;
  return { status: res.status, headers, body };
}

describe('the whole stack on the app server answers exactly as on http.createServer(app)', () => {
  let keys: Keys;
  let jwks: Awaited<ReturnType<typeof startJwksServer>>;
  const apps: M8App[] = [];

  beforeAll(async () => {
    keys = await generateKeys('ES256', { kid: 'eq-1' });
    jwks = await startJwksServer(keys);
  });
  afterAll(async () => {
    for (const app of apps) await app.stop();
    await jwks.close();
  });

  async function build(): Promise<M8App> {
    const settings = testSettings({
      ACCESS_TOKEN_ALGORITHM: 'ES256',
      JWKS_URI: jwks.url,
      METRICS_ENABLED: true,
      ALLOWED_HOSTS: ['api.example.com'],
      BACKEND_CORS_ORIGINS: ['https://app.example.com'],
    });
    const auth = buildAuthDeps(settings);
    const router = express.Router();
    router.get('/items/:id', auth.requireUser, (req, res) => {
      res.json({ id: req.params.id, user: req.user?.role, q: req.query });
    });
    router.post('/items', auth.requireWriter, (req, res) => {
      res.status(201).json({ created: req.body as unknown });
    });
    router.get('/boom', () => {
      throw new Error('kaboom with postgres://app:s3cret@db/x');
    });
    const app = createApp(settings, router, { lifecycle: { auth } });
    await app.start();
    apps.push(app);
    return app;
  }

  it('for auth, CORS, hosts, bodies, errors, ETags, health and metrics', async () => {
    const writer = mintToken(keys, { role: 'writer' });
    const host = 'api.example.com';
    const steps: Array<(agent: ReturnType<typeof request>) => request.Test> = [
      (a) => a.get('/items/1').set('Host', host),
      (a) => a.get('/items/1?x=1&x=2').set('Host', host).set('Authorization', `Bearer ${writer}`),
      (a) => a.get('/items/1').set('Host', host).set('Authorization', 'Bearer not.a.token'),
      (a) =>
        a
          .get('/items/2')
          .set('Host', host)
          .set('Authorization', `Bearer ${writer}`)
          .set('If-None-Match', 'W/"x"'),
      (a) =>
        a
          .post('/items')
          .set('Host', host)
          .set('Authorization', `Bearer ${writer}`)
          .set('Content-Type', 'application/json')
          .send('{"name":"a"}'),
      (a) =>
        a
          .post('/items')
          .set('Host', host)
          .set('Authorization', `Bearer ${writer}`)
          .set('Content-Type', 'application/json')
          .send('{broken'),
      (a) =>
        a
          .options('/items')
          .set('Host', host)
          .set('Origin', 'https://app.example.com')
          .set('Access-Control-Request-Method', 'POST'),
      (a) => a.get('/items/1').set('Host', 'evil.example.net'),
      (a) => a.get('/boom').set('Host', host),
      (a) => a.head('/api/health/live').set('Host', host),
      (a) => a.get('/api/health/ready').set('Host', '10.0.0.7'),
      (a) => a.get('/nowhere').set('Host', host),
      (a) => a.get('/metrics').set('Host', host),
    ];
    const plainApp = await build();
    const bornApp = await build();
    const plain = createServer(plainApp);
    // V8 12 forces the classes on (they are ignored on V8 ≥ 13), so this compares them on any Node.
    const born = createAppServerWith(bornApp, {}, { v8Major: 12 });
    const seenPlain: Seen[] = [];
    const seenBorn: Seen[] = [];
    for (const step of steps) {
      seenPlain.push(await see(plain, step));
      seenBorn.push(await see(born, step));
    }
    expect(seenBorn).toEqual(seenPlain);
    // And the scenario really exercised what it claims.
    expect(seenPlain.map((s) => s.status)).toEqual([
      401, 200, 401, 200, 201, 400, 204, 400, 500, 200, 200, 404, 200,
    ]);
    expect(seenPlain[8]?.body).not.toContain('s3cret');
  });
});
