import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildAuthDeps, createApp, type M8App } from '../../src/index.js';
import { generateKeys, mintToken, startJwksServer, testSettings } from '../../src/testing/index.js';
import { createLogSink } from '../support/log-sink.js';
import { authGet } from './helpers.js';

let app: M8App | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

describe('auth inside createApp', () => {
  it('prefetches the JWKS at start(), guards routes, counts failures in /metrics and logs through the app logger', async () => {
    const keys = await generateKeys('ES256', { kid: 'app-1' });
    const jwks = await startJwksServer(keys);
    try {
      const settings = testSettings({
        ACCESS_TOKEN_ALGORITHM: 'ES256',
        JWKS_URI: jwks.url,
        METRICS_ENABLED: true,
        LOG_LEVEL: 'info',
      });
      const auth = buildAuthDeps(settings);
      const router = express.Router();
      router.get('/items', auth.requireReader, (req, res) => {
        res.json({ by: req.user!.role });
      });
      const sink = createLogSink({ level: 'debug' });
      app = createApp(settings, router, { lifecycle: { auth }, logger: sink.logger });
      await app.start();
      expect(jwks.requestCount).toBe(1);

      await request(app).get('/items').expect(401);
      const ok = await authGet(app, '/items', mintToken(keys, { role: 'writer' }));
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ by: 'writer' });
      const low = await authGet(app, '/items', mintToken(keys));
      expect(low.status).toBe(403);
      expect(low.headers['x-request-id']).toBeTruthy();

      const metrics = await request(app).get('/metrics');
      expect(metrics.text).toMatch(/auth_failures_total\{reason="missing_token"\} 1/);
      expect(metrics.text).toMatch(/auth_failures_total\{reason="insufficient_role"\} 1/);
      expect(metrics.text).toMatch(/jwks_refresh_total\{result="success"\} 1/);
      const failures = sink.lines().filter((l) => l.event === 'auth_failure');
      expect(failures.map((l) => l.reason)).toEqual(['missing_token', 'insufficient_role']);
      expect(failures.every((l) => typeof l.reqId === 'string')).toBe(true);
    } finally {
      await jwks.close();
    }
  });

  it('starts even when the JWKS is down, then serves 503 with Retry-After', async () => {
    const keys = await generateKeys('ES256');
    const jwks = await startJwksServer(keys);
    jwks.setBehaviour('down');
    try {
      const settings = testSettings({ ACCESS_TOKEN_ALGORITHM: 'ES256', JWKS_URI: jwks.url });
      const auth = buildAuthDeps(settings);
      const router = express.Router().get('/items', auth.requireUser, (_req, res) => {
        res.json([]);
      });
      app = createApp(settings, router, { lifecycle: { auth } });
      await app.start();
      expect(app.ready).toBe(true);
      const res = await authGet(app, '/items', mintToken(keys));
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(res.body.code).toBe('ERR_AUTH_KEYS_UNAVAILABLE');
    } finally {
      await jwks.close();
    }
  });
});
