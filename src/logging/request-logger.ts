import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { currentTraceIds } from '../tracing/index.js';
import { scrubUrl } from './redact.js';

/** Options of {@link createRequestLogger}. */
export interface RequestLoggerOptions {
  /**
   * The matched route template of a finished request (`/items/:id`), e.g. the metrics module's resolver.
   * Default: `req.baseUrl + req.route.path` when Express matched a route, which is a template unless a
   * parent router was mounted on a parametrised path.
   */
  readonly routeOf?: (req: Request) => string | undefined;
}

/** The message of every request line. */
const REQUEST_MESSAGE = 'request completed';

const START = Symbol('express-m8.requestStart');
const LOGGER = Symbol('express-m8.requestLogger');
const ROUTE_OF = Symbol('express-m8.routeOf');

interface Timed {
  [START]?: number;
}
interface Tagged {
  [LOGGER]?: Logger;
  [ROUTE_OF]?: ((req: Request) => string | undefined) | undefined;
}

function defaultRouteOf(req: Request): string | undefined {
  const path: unknown = req.route?.path;
  return typeof path === 'string' ? req.baseUrl + path : undefined;
}

/** The one line of a request; `this` is the response (a shared listener, no closure per request). */
function onClose(this: Response): void {
  const req = this.req;
  const tagged = this as unknown as Tagged;
  const logger = tagged[LOGGER] as Logger;
  const status = this.statusCode;
  const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  const start = (req as unknown as Timed)[START] ?? performance.now();
  const routeOf = tagged[ROUTE_OF] ?? defaultRouteOf;
  const user = (req as { user?: { id?: unknown } }).user;
  const trace = currentTraceIds(req);
  const fields = {
    reqId: req.id,
    method: req.method,
    url: scrubUrl(req.originalUrl ?? req.url),
    route: routeOf(req),
    status,
    durationMs: Math.round((performance.now() - start) * 1000) / 1000,
    userId: user?.id,
    aborted: this.writableFinished ? undefined : true,
    trace_id: trace?.trace_id,
    span_id: trace?.span_id,
  };
  // Through pino itself: a hand-built line (the same bytes without pino's generic serialisation) cost more
  // instructions than it saved on Node 24 (bench/README.md).
  logger[level](fields, REQUEST_MESSAGE);
}

/**
 * Middleware logging ONE line per request when its response closes: `reqId`, `method`, `url` (query values
 * of secret-looking parameters redacted), `route` (the template when known), `status`, `durationMs`, `userId`
 * (when `req.user.id` is set), `trace_id`/`span_id` (when the request carries a trace) and `aborted: true` when the client went away first. No headers. Level: `error`
 * for 5xx, `warn` for 4xx, `info` otherwise; nothing is computed when that level is disabled.
 * Mount it right after the request-id middleware.
 * @example
 * app.use(createRequestId());
 * app.use(createRequestLogger(logger, { routeOf: metrics.routeOf }));
 */
export function createRequestLogger(
  logger: Logger,
  options: RequestLoggerOptions = {},
): (req: Request, res: Response, next: () => void) => void {
  const routeOf = options.routeOf;
  return function requestLogger(req, res, next) {
    (req as unknown as Timed)[START] = performance.now();
    const tagged = res as unknown as Tagged;
    tagged[LOGGER] = logger;
    tagged[ROUTE_OF] = routeOf;
    res.on('close', onClose);
    next();
  };
}
