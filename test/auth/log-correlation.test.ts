import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildAuthDeps, createApp, type M8App } from '../../src/index.js';
import {
  generateKeys,
  mintToken,
  type RevocationServer,
  startRevocationServer,
  testSettings,
} from '../../src/testing/index.js';
import { createLogSink } from '../support/log-sink.js';
import { bearer, PRIVATE_API_SECRET } from './helpers.js';

// One request's log lines — request log, auth refusal, revocation failure, error handler — carry the same
// `reqId` and, when the request has a trace, the same `trace_id`/`span_id`.

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;

let app: M8App | undefined;
let issuer: RevocationServer | undefined;
afterEach(async () => {
  await app?.stop();
  await issuer?.close();
  app = undefined;
  issuer = undefined;
});

async function setup() {
  issuer = await startRevocationServer();
  const settings = testSettings({
    TOKEN_MODE: 'stateful',
    INTROSPECTION_URL: issuer.url,
    PRIVATE_API_SECRET,
    LOG_LEVEL: 'info',
  });
  const keys = await generateKeys('HS256', { secret: settings.ACCESS_SECRET_KEY! });
  const auth = buildAuthDeps(settings);
  const router = express.Router();
  router.get('/items', auth.requireUser, (_req, res) => {
    res.json([]);
  });
  router.get('/boom', () => {
    throw new Error('kaboom');
  });
  const sink = createLogSink({ level: 'debug' });
  app = createApp(settings, router, { lifecycle: { auth }, logger: sink.logger });
  await app.start();
  return { app, keys, sink, issuer };
}

function linesOf(lines: Record<string, unknown>[], reqId: unknown): Record<string, unknown>[] {
  return lines.filter((l) => l.reqId === reqId);
}

describe('log correlation of a request', () => {
  it('puts the auth refusal on the request log line, with its reqId and trace ids', async () => {
    const { app, sink } = await setup();
    const res = await request(app).get('/items').set('traceparent', TRACEPARENT).expect(401);
    const mine = linesOf(sink.lines(), res.headers['x-request-id']);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      msg: 'request completed',
      event: 'auth_failure',
      reason: 'missing_token',
      status: 401,
      trace_id: TRACE_ID,
      span_id: SPAN_ID,
    });
  });

  it('logs a revocation failure with the request id and trace ids of the request that asked', async () => {
    const { app, sink, keys, issuer } = await setup();
    issuer.setPolicy({ status: 502 });
    const res = await request(app)
      .get('/items')
      .set('traceparent', TRACEPARENT)
      .set(...bearer(mintToken(keys)))
      .expect(503);
    const events = linesOf(sink.lines(), res.headers['x-request-id']).map((l) => l.event ?? l.msg);
    expect(events.sort()).toEqual(['auth_failure', 'revocation_check']);
    expect(linesOf(sink.lines(), res.headers['x-request-id'])).toContainEqual(
      expect.objectContaining({ msg: 'request completed', reason: 'revocation_unavailable', status: 503 }),
    );
    const check = sink.lines().find((l) => l.event === 'revocation_check');
    expect(check).toMatchObject({ trace_id: TRACE_ID, span_id: SPAN_ID });
    expect(issuer.requests[0]?.headers.traceparent).toBe(TRACEPARENT);
  });

  it('gives the error handler line the trace ids of the request', async () => {
    const { app, sink } = await setup();
    const res = await request(app).get('/boom').set('traceparent', TRACEPARENT).expect(500);
    const error = sink.lines().find((l) => l.msg === 'unhandled error');
    expect(error).toMatchObject({
      reqId: res.headers['x-request-id'],
      trace_id: TRACE_ID,
      span_id: SPAN_ID,
    });
  });
});
