import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import express, { type Express } from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { markUnmatched } from '../../src/routing/index.js';
import {
  createTracing,
  currentTraceIds,
  formatTraceparent,
  type M8Tracing,
  parseTraceparent,
  traceHeaders,
} from '../../src/tracing/index.js';
import { EXPRESS_4 } from '../express-version.js';
import { AlsContextManager, RecordingTracerProvider } from './recording-provider.js';

// Express 4 layers keep no mount path: a route below a mount is named by its own template only.
const ORDER_ROUTE = EXPRESS_4 ? '/:id' : '/users/:userId/orders/:id';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

/** An app whose routes answer with what the tracing helpers saw. */
function appWith(tracing: M8Tracing): Express {
  const app = express();
  app.use(tracing.middleware);
  const orders = express.Router();
  orders.get('/:id', (req, res) => {
    res.json({
      ids: currentTraceIds(req) ?? null,
      headers: traceHeaders(req),
      activeSpanId: trace.getActiveSpan()?.spanContext().spanId ?? null,
    });
  });
  orders.get('/:id/fail', () => {
    throw new Error('boom');
  });
  app.use('/users/:userId/orders', orders);
  app.use((req, res) => {
    markUnmatched(req);
    res.status(404).end();
  });
  app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).end();
  });
  return app;
}

describe('traceparent parsing', () => {
  it('accepts a valid version 00 header and formats it back', () => {
    const parsed = parseTraceparent(TRACEPARENT, 'vendor=abc');
    expect(parsed).toEqual({
      traceId: TRACE_ID,
      spanId: PARENT_ID,
      flags: 1,
      header: TRACEPARENT,
      tracestate: 'vendor=abc',
    });
    expect(formatTraceparent(TRACE_ID, PARENT_ID, 1)).toBe(TRACEPARENT);
  });

  it('rejects malformed, uppercase, all-zero and version ff headers', () => {
    for (const bad of [
      undefined,
      '',
      TRACEPARENT.toUpperCase(),
      TRACEPARENT.slice(1),
      `${TRACEPARENT}-extra`,
      `00-${'0'.repeat(32)}-${PARENT_ID}-01`,
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      `ff-${TRACE_ID}-${PARENT_ID}-01`,
      `00-${TRACE_ID}_${PARENT_ID}-01`,
      `00-${TRACE_ID.slice(0, 31)}g-${PARENT_ID}-01`,
    ]) {
      expect(parseTraceparent(bad), String(bad)).toBeUndefined();
    }
  });

  it('parses a later version as version 00 and forwards it as 00', () => {
    expect(parseTraceparent(`01-${TRACE_ID}-${PARENT_ID}-01-future`)?.header).toBe(TRACEPARENT);
  });
});

describe('without an OpenTelemetry SDK', () => {
  it('is inactive and exposes the incoming trace to logs and outgoing calls', async () => {
    const tracing = createTracing();
    expect(tracing.isActive).toBe(false);
    const res = await request(appWith(tracing))
      .get('/users/1/orders/2')
      .set('traceparent', TRACEPARENT)
      .set('tracestate', 'vendor=abc')
      .expect(200);
    expect(res.body).toEqual({
      ids: { trace_id: TRACE_ID, span_id: PARENT_ID },
      headers: { traceparent: TRACEPARENT, tracestate: 'vendor=abc' },
      activeSpanId: null,
    });
    expect(res.headers.traceparent).toBeUndefined();
  });

  it('carries no trace ids and no headers when the request has no valid traceparent', async () => {
    const app = appWith(createTracing());
    for (const header of [undefined, 'garbage']) {
      const req = request(app).get('/users/1/orders/2');
      if (header !== undefined) req.set('traceparent', header);
      const res = await req.expect(200);
      expect(res.body).toEqual({ ids: null, headers: {}, activeSpanId: null });
    }
  });
});

describe('with a registered tracer provider', () => {
  let provider: RecordingTracerProvider;
  afterEach(() => {
    trace.disable();
    context.disable();
  });
  function register(): void {
    provider = new RecordingTracerProvider();
    context.setGlobalContextManager(new AlsContextManager());
    trace.setGlobalTracerProvider(provider);
  }

  it('starts a SERVER span per request, child of the incoming traceparent, named by route template', async () => {
    register();
    const tracing = createTracing();
    expect(tracing.isActive).toBe(true);
    const res = await request(appWith(tracing))
      .get('/users/7/orders/42?secret=x')
      .set('traceparent', TRACEPARENT)
      .set('user-agent', 'vitest')
      .expect(200);
    expect(provider.spans).toHaveLength(1);
    const span = provider.spans[0];
    expect(span?.name).toBe(`GET ${ORDER_ROUTE}`);
    expect(span?.kind).toBe(SpanKind.SERVER);
    expect(span?.ended).toBe(true);
    expect(span?.parent?.spanId).toBe(PARENT_ID);
    expect(span?.context.traceId).toBe(TRACE_ID);
    expect(span?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/users/7/orders/42',
      'url.scheme': 'http',
      'http.route': ORDER_ROUTE,
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'user_agent.original': 'vitest',
    });
    const ownSpanId = span?.context.spanId;
    expect(res.body.ids).toEqual({ trace_id: TRACE_ID, span_id: ownSpanId });
    expect(res.body.headers).toEqual({ traceparent: `00-${TRACE_ID}-${ownSpanId}-01` });
    expect(res.body.activeSpanId).toBe(ownSpanId);
  });

  it('marks 5xx spans as errors and names unmatched requests by method only', async () => {
    register();
    const app = appWith(createTracing());
    await request(app).get('/users/1/orders/2/fail').expect(500);
    await request(app).get('/wp-admin/x.php').expect(404);
    const [failed, unmatched] = provider.spans;
    expect(failed?.name).toBe(`GET ${ORDER_ROUTE}/fail`);
    expect(failed?.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed?.attributes['error.type']).toBe('500');
    expect(unmatched?.name).toBe('GET');
    expect(unmatched?.attributes['http.route']).toBeUndefined();
    expect(unmatched?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('starts a new trace when there is no incoming traceparent', async () => {
    register();
    await request(appWith(createTracing())).get('/users/1/orders/2').expect(200);
    expect(provider.spans[0]?.parent).toBeUndefined();
    expect(provider.spans[0]?.context.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('picks up a provider registered after construction on refresh(), and drops it after', async () => {
    const tracing = createTracing();
    expect(tracing.isActive).toBe(false);
    register();
    expect(tracing.refresh()).toBe(true);
    await request(appWith(tracing)).get('/users/1/orders/2').expect(200);
    expect(provider.spans).toHaveLength(1);
    trace.disable();
    expect(tracing.refresh()).toBe(false);
    await request(appWith(tracing)).get('/users/1/orders/2').expect(200);
    expect(provider.spans).toHaveLength(1);
  });
});
