import type { IncomingMessage, ServerResponse } from 'node:http';
import { instrumentRoutes, type NodeMiddleware, routeTemplateOf, UNMATCHED } from '../routing/index.js';
import { hasTracerProvider, loadOtelApi, type OtelApiModule, type OtelSpan } from './otel.js';
import { formatTraceparent, parseTraceparent, type TraceParent } from './traceparent.js';

export { formatTraceparent, parseTraceparent } from './traceparent.js';

const TRACE = Symbol('express-m8.trace');

/** The per-request trace state: the incoming parent, and our server span when an SDK is registered. */
interface TraceState {
  readonly parent: TraceParent | undefined;
  readonly span: OtelSpan | undefined;
  ids?: TraceIds;
  headers?: Readonly<Record<string, string>>;
}
interface Traced {
  [TRACE]?: TraceState;
}

/** The ids a log line carries. */
export interface TraceIds {
  readonly trace_id: string;
  readonly span_id: string;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The `trace_id` and `span_id` of a request for its log lines: our server span when an OpenTelemetry SDK is
 * registered, else the caller's span from its `traceparent`; `undefined` when neither exists.
 * @example
 * logger.info({ ...currentTraceIds(req), msg: 'done' });
 */
export function currentTraceIds(req: object): TraceIds | undefined {
  const state = (req as Traced)[TRACE];
  if (state === undefined) return undefined;
  if (state.ids !== undefined) return state.ids;
  if (state.span !== undefined) {
    const context = state.span.spanContext();
    state.ids = { trace_id: context.traceId, span_id: context.spanId };
  } else if (state.parent !== undefined) {
    state.ids = { trace_id: state.parent.traceId, span_id: state.parent.spanId };
  }
  return state.ids;
}

/**
 * Headers to add to an outgoing call made for this request (revocation, JWKS, your own `fetch`), so the
 * trace continues: `traceparent` naming our server span when an SDK is registered, else the incoming
 * `traceparent` and `tracestate` unchanged (we are a transparent hop); `{}` when there is no trace.
 * Responses never echo `traceparent` (W3C Trace Context defines it as a request header).
 * @example
 * await fetch(url, { headers: { ...traceHeaders(req), 'content-type': 'application/json' } });
 */
export function traceHeaders(req: object): Readonly<Record<string, string>> {
  const state = (req as Traced)[TRACE];
  if (state === undefined) return NO_HEADERS;
  if (state.headers !== undefined) return state.headers;
  let headers: Record<string, string> = {};
  if (state.span !== undefined) {
    const c = state.span.spanContext();
    headers = { traceparent: formatTraceparent(c.traceId, c.spanId, c.traceFlags) };
    const tracestate = c.traceState?.serialize();
    if (tracestate) headers['tracestate'] = tracestate;
  } else if (state.parent !== undefined) {
    headers = { traceparent: state.parent.header };
    if (state.parent.tracestate !== undefined) headers['tracestate'] = state.parent.tracestate;
  }
  state.headers = Object.freeze(headers);
  return state.headers;
}

/** Options of {@link createTracing}. */
export interface TracingOptions {
  /** The instrumentation scope name of our spans. Default `express-m8`. */
  readonly tracerName?: string;
  /** The version reported with the scope. */
  readonly tracerVersion?: string;
}

/** What {@link createTracing} returns. */
export interface M8Tracing {
  /** Parses `traceparent`, and with an SDK starts the server span and makes it active for the request. */
  readonly middleware: NodeMiddleware;
  /** True while a tracer provider is registered (as of construction or the last {@link refresh}). */
  readonly isActive: boolean;
  /** Checks again whether an SDK is registered (call it from `start()`); returns {@link isActive}. */
  refresh(): boolean;
}

function passiveMiddleware(): NodeMiddleware {
  return function expressM8TraceContext(req, _res, next): void {
    const header = req.headers.traceparent;
    if (header !== undefined) {
      const parent = parseTraceparent(header, req.headers.tracestate);
      if (parent !== undefined) (req as Traced)[TRACE] = { parent, span: undefined };
    }
    next();
  };
}

function serverAddress(host: string | undefined): [string | undefined, number | undefined] {
  if (host === undefined) return [undefined, undefined];
  const colon = host.lastIndexOf(':');
  if (colon === -1 || host.endsWith(']')) return [host, undefined];
  const port = Number(host.slice(colon + 1));
  return [host.slice(0, colon), Number.isInteger(port) ? port : undefined];
}

function activeMiddleware(api: OtelApiModule, options: TracingOptions): NodeMiddleware {
  const tracer = api.trace.getTracer(options.tracerName ?? 'express-m8', options.tracerVersion);
  const { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } = api;
  let instrumented = false;

  function endSpan(this: ServerResponse): void {
    const req = this.req as IncomingMessage;
    const span = (req as Traced)[TRACE]?.span;
    if (span === undefined) return;
    const route = routeTemplateOf(req);
    const status = this.statusCode;
    if (route !== UNMATCHED) {
      span.updateName(`${req.method} ${route}`);
      span.setAttribute('http.route', route);
    }
    span.setAttribute('http.response.status_code', status);
    // Server spans: only 5xx are errors (OpenTelemetry HTTP semantic conventions).
    if (status >= 500) {
      span.setAttribute('error.type', String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    } else if (!this.writableFinished) {
      span.setAttribute('error.type', 'aborted');
    }
    span.end();
  }

  return function expressM8Tracing(req, res, next): void {
    if (!instrumented) {
      instrumented = true;
      instrumentRoutes((req as IncomingMessage & { app?: unknown }).app);
    }
    const headers = req.headers;
    const parent = parseTraceparent(headers.traceparent, headers.tracestate);
    let parentContext = propagation.extract(ROOT_CONTEXT, headers);
    // With no global propagator (an SDK set up without one), honour traceparent ourselves.
    if (parent !== undefined && trace.getSpanContext(parentContext) === undefined) {
      parentContext = trace.setSpanContext(parentContext, {
        traceId: parent.traceId,
        spanId: parent.spanId,
        traceFlags: parent.flags,
        isRemote: true,
        ...(parent.tracestate === undefined ? {} : { traceState: api.createTraceState(parent.tracestate) }),
      });
    }
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const [address, port] = serverAddress(headers.host);
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': method,
          'url.path': query === -1 ? url : url.slice(0, query),
          'url.scheme': (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http',
          'server.address': address,
          'server.port': port,
          'client.address': req.socket.remoteAddress,
          'user_agent.original': headers['user-agent'],
          'network.protocol.version': req.httpVersion,
        },
      },
      parentContext,
    );
    (req as Traced)[TRACE] = { parent, span };
    res.once('close', endSpan);
    context.with(trace.setSpan(parentContext, span), next);
  };
}

/**
 * Creates the tracing middleware. Without `@opentelemetry/api` or without a registered SDK it only parses
 * an incoming `traceparent` (a fixed 55-character format) so logs and outgoing calls carry the caller's
 * trace; with an SDK, each request gets a SERVER span named `METHOD /route/template` with the standard
 * HTTP attributes, active for the rest of the request.
 * @example
 * const tracing = createTracing();
 * app.use(tracing.middleware); // early: right after the request id
 */
export function createTracing(options: TracingOptions = {}): M8Tracing {
  const passive = passiveMiddleware();
  let current = passive;
  let active = false;
  const refresh = (): boolean => {
    const api = loadOtelApi();
    const registered = api !== undefined && hasTracerProvider(api);
    if (registered !== active) {
      active = registered;
      current = registered && api !== undefined ? activeMiddleware(api, options) : passive;
    }
    return active;
  };
  refresh();
  return {
    middleware(req, res, next): void {
      current(req, res, next);
    },
    get isActive(): boolean {
      return active;
    },
    refresh,
  };
}
