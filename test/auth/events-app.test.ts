import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildAuthDeps, createApp, type M8App } from '../../src/index.js';
import { type EventIssuer, startEventIssuer, testSettings } from '../../src/testing/index.js';
import { PRIVATE_API_SECRET } from './helpers.js';

const SIGNING_KEY = 'Event-Signing-Key-0123456789-abcdefXYZ!';
let app: M8App | undefined;
let issuer: EventIssuer | undefined;
afterEach(async () => {
  await app?.stop();
  await issuer?.close();
  app = undefined;
  issuer = undefined;
});

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('event stream inside createApp', () => {
  it('starts with app.start(), reports auth_event_stream in health and metrics, stops with app.stop()', async () => {
    issuer = await startEventIssuer({
      signingKey: SIGNING_KEY,
      secret: PRIVATE_API_SECRET,
      clientId: 'orders',
    });
    const settings = testSettings({
      TOKEN_MODE: 'stateful',
      EVENT_STREAM_ENABLED: true,
      INTROSPECTION_URL: issuer.introspectionUrl,
      PRIVATE_API_SECRET,
      INTERNAL_CLIENT_ID: 'orders',
      EVENT_SIGNING_KEY: SIGNING_KEY,
      METRICS_ENABLED: true,
    });
    const auth = buildAuthDeps(settings);
    app = createApp(settings, express.Router(), {
      lifecycle: { auth },
      health: { detailPublic: true, cacheTtlMs: 0 },
    });
    const check = async () =>
      ((await request(app!).get('/api/health')).body.checks as { name: string; status: string }[]).find(
        (c) => c.name === 'auth_event_stream',
      );
    // Built but not started: the issuer has not been contacted.
    expect(issuer.requests).toHaveLength(0);
    await app.start();
    await until(async () => (await check())?.status === 'ok', 'the stream to connect');
    await issuer.push('user-deleted', { user_id: '6f1c2b9e-1d2a-4c3b-8e4f-5a6b7c8d9e0f' });
    await until(
      async () => (await request(app!).get('/metrics')).text.includes('result="applied"'),
      'the event to be counted',
    );
    const metrics = (await request(app).get('/metrics')).text;
    expect(metrics).toMatch(/^api_auth_event_stream_connected 1$/m);
    expect(metrics).toMatch(
      /^api_auth_event_stream_events_total\{event_type="user-deleted",result="applied"\} 1$/m,
    );
    expect(metrics).toMatch(/^api_auth_event_stream_reconnects_total 0$/m);
    issuer.disconnect();
    await until(async () => (await check())?.status === 'degraded', 'the health check to degrade');
    expect((await request(app).get('/metrics')).text).toMatch(/^api_auth_event_stream_connected 0$/m);
    await app.stop();
    await until(async () => issuer!.openStreams === 0, 'no stream left open');
  });
});
