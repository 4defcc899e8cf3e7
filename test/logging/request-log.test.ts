import express from 'express';
import { buildAuthDeps, createApp, type M8App } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import pino from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../http/helpers.js';
import { createLogSink } from '../support/log-sink.js';

const apps: M8App[] = [];
afterEach(async () => {
  await Promise.allSettled(apps.splice(0).map((app) => app.stop()));
});

type Line = Record<string, unknown>;

function appWith(overrides: Parameters<typeof testSettings>[0] = {}, level = 'info') {
  const sink = createLogSink();
  const logger = pino({ level }, sink.stream);
  const settings = testSettings({ METRICS_ENABLED: true, ...overrides });
  const auth = buildAuthDeps(settings, { logger });
  const router = express.Router();
  router.get('/api/items', auth.requireUser, (req, res) => {
    req.log.info({ step: 'listing' }, 'inside');
    res.json([]);
  });
  router.get('/api/log-twice', (req, res) => {
    const first = req.log;
    req.user = { id: 'user-9' } as typeof req.user;
    const second = req.log;
    second.info({ same: first === second, again: req.log === second }, 'twice');
    res.json({});
  });
  router.get('/api/boom', (_req, res) => {
    res.status(500).json({});
  });
  const app = createApp(settings, router, { logger, lifecycle: { auth } });
  apps.push(app);
  const requestLines = (): Line[] => sink.lines().filter((l) => l.msg === 'request completed');
  return { app, sink, requestLines, settings };
}

describe('the request log of createApp', () => {
  it('does not log successful probe, ping and /metrics requests by default, but logs their failures', async () => {
    const { app, requestLines, settings } = appWith();
    await app.start();
    const p = settings.API_PREFIX;
    await request(app).get(`${p}/health/live`).expect(200);
    await request(app).get(`${p}/health/ready`).expect(200);
    await request(app).get(`${p}/health`).expect(200);
    await request(app).get(`${p}/ping`).expect(200);
    await request(app).get('/metrics').expect(200);
    await request(app).get(`${p}/health/nowhere`).expect(404);
    await request(app).get('/api/boom').expect(500);
    await eventually(() => requestLines().length === 2);
    await new Promise((r) => setTimeout(r, 20));
    const lines = requestLines();
    expect(lines.map((l) => [l.url, l.status, l.level])).toEqual([
      [`${p}/health/nowhere`, 404, 30],
      ['/api/boom', 500, 50],
    ]);
  });

  it('takes LOG_IGNORE_PATHS instead of the default list', async () => {
    const { app, requestLines, settings } = appWith({ LOG_IGNORE_PATHS: ['/api/boom', '/api/log-twice'] });
    await app.start();
    await request(app).get(`${settings.API_PREFIX}/ping`).expect(200);
    await request(app).get('/api/log-twice').expect(200);
    await request(app).get('/api/boom').expect(500);
    await eventually(() => requestLines().length === 2);
    expect(requestLines().map((l) => [l.url, l.status])).toEqual([
      [`${settings.API_PREFIX}/ping`, 200],
      ['/api/boom', 500],
    ]);
  });

  it('gives req.log the request id, and the user id once it is known', async () => {
    const { app, sink } = appWith();
    await app.start();
    await request(app).get('/api/log-twice').set('X-Request-ID', 'rid-log-1').expect(200);
    await eventually(() => sink.lines().some((l) => l.msg === 'twice'));
    const line = sink.lines().find((l) => l.msg === 'twice');
    expect(line).toMatchObject({ reqId: 'rid-log-1', userId: 'user-9', same: false, again: true });
  });

  it('puts an auth refusal on the request line: one info line with event, reason and status', async () => {
    const { app, sink } = appWith();
    await app.start();
    const res = await request(app).get('/api/items').set('Authorization', 'Bearer not-a-jwt').expect(401);
    await eventually(() => sink.lines().some((l) => l.msg === 'request completed'));
    await new Promise((r) => setTimeout(r, 20));
    const mine = sink.lines().filter((l) => l.reqId === res.headers['x-request-id']);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      event: 'auth_failure',
      reason: 'malformed',
      status: 401,
    });
    expect(JSON.stringify(mine[0])).not.toContain('not-a-jwt');
  });
});
