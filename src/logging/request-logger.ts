import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { contextOf, requestContext } from '../request-context.js';
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
  /**
   * Paths whose successful requests (status below 400) get no line: exact paths, or `/prefix/*` for every path
   * under `/prefix/`. Failures are always logged. Default none (createApp passes LOG_IGNORE_PATHS or its
   * default, the probes and `/metrics`).
   */
  readonly ignorePaths?: readonly string[];
}

/** What a middleware adds to the request line of a refused request (see {@link noteOnRequestLine}). */
export interface RequestLineNote {
  /** e.g. `auth_failure`. */
  readonly event: string;
  /** Which check failed, e.g. `expired`. */
  readonly reason: string;
  /** The claim a failed claim check was about, e.g. `aud`; never its value. */
  readonly claim?: string;
}

/** The message of every request line. */
const REQUEST_MESSAGE = 'request completed';

/** `ignorePaths` compiled: exact paths in a Set, `/prefix/*` entries as `/prefix/` prefixes. */
interface PathMatcher {
  readonly exact: ReadonlySet<string>;
  readonly prefixes: readonly string[];
}

function compilePaths(paths: readonly string[] | undefined): PathMatcher | undefined {
  if (paths === undefined || paths.length === 0) return undefined;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const path of paths) {
    if (path.endsWith('/*')) prefixes.push(path.slice(0, -1));
    else exact.add(path);
  }
  return { exact, prefixes };
}

function isIgnored(matcher: PathMatcher, url: string): boolean {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (matcher.exact.has(path)) return true;
  const prefixes = matcher.prefixes;
  for (let i = 0; i < prefixes.length; i++) if (path.startsWith(prefixes[i] as string)) return true;
  return false;
}

/**
 * Puts `note` (`event`, `reason`, `claim`) on the request line of `req` instead of a line of its own, when the
 * request is logged by {@link createRequestLogger}; false when it is not (then log a line yourself).
 * @example
 * if (!noteOnRequestLine(req, { event: 'auth_failure', reason: 'expired' })) logger.info(fields, 'refused');
 */
export function noteOnRequestLine(req: object, note: RequestLineNote): boolean {
  const context = contextOf(req);
  if (context === undefined || !context.logged) return false;
  context.note = note;
  return true;
}

function defaultRouteOf(req: Request): string | undefined {
  const path: unknown = req.route?.path;
  return typeof path === 'string' ? req.baseUrl + path : undefined;
}

/**
 * The `close` listener of an app's responses, made once per app (the logger and options live in the closure,
 * nothing per request): `this` is the response.
 */
function lineWriter(
  logger: Logger,
  routeOf: (req: Request) => string | undefined,
  ignored: PathMatcher | undefined,
): (this: Response) => void {
  return function onClose(this: Response): void {
    const req = this.req;
    const status = this.statusCode;
    const level = status >= 500 ? 'error' : 'info';
    if (!logger.isLevelEnabled(level)) return;
    const url = req.originalUrl ?? req.url;
    if (ignored !== undefined && status < 400 && isIgnored(ignored, url)) return;
    const context = contextOf(req);
    const start = context?.start ?? performance.now();
    const note = context?.note as RequestLineNote | undefined;
    const user = (req as { user?: { id?: unknown } }).user;
    const trace = currentTraceIds(req);
    const fields = {
      reqId: req.id,
      method: req.method,
      url: scrubUrl(url),
      route: routeOf(req),
      status,
      durationMs: Math.round((performance.now() - start) * 1000) / 1000,
      userId: user?.id,
      aborted: this.writableFinished ? undefined : true,
      event: note?.event,
      reason: note?.reason,
      claim: note?.claim,
      trace_id: trace?.trace_id,
      span_id: trace?.span_id,
    };
    // Through pino itself: a hand-built line (the same bytes without pino's generic serialisation) cost more
    // instructions than it saved on Node 24 (bench/README.md).
    logger[level](fields, REQUEST_MESSAGE);
  };
}

/**
 * Middleware logging ONE line per request when its response closes: `reqId`, `method`, `url` (query values
 * of secret-looking parameters redacted), `route` (the template when known), `status`, `durationMs`, `userId`
 * (when `req.user.id` is set), `trace_id`/`span_id` (when the request carries a trace), `aborted: true` when
 * the client went away first, and `event`/`reason`/`claim` when a middleware refused the request (see
 * {@link noteOnRequestLine}). No headers. Level: `error` for 5xx, `info` otherwise; nothing is computed when
 * that level is disabled. Successful requests to `ignorePaths` are not logged.
 * Mount it right after the request-id middleware.
 * @example
 * app.use(createRequestId());
 * app.use(createRequestLogger(logger, { routeOf: metrics.routeOf, ignorePaths: ['/api/health/*'] }));
 */
export function createRequestLogger(
  logger: Logger,
  options: RequestLoggerOptions = {},
): (req: Request, res: Response, next: () => void) => void {
  const onClose = lineWriter(logger, options.routeOf ?? defaultRouteOf, compilePaths(options.ignorePaths));
  return function requestLogger(req, res, next) {
    requestContext(req).logged = true;
    res.on('close', onClose);
    next();
  };
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The request id: the caller's sane `X-Request-ID`, or a fresh UUID. Set by `createApp`'s edge. */
    id: string;
    /**
     * A pino child logger carrying `reqId` (and `userId` once authentication set `req.user`), made on first use
     * only. Set by `createApp`; assignable.
     */
    log: Logger;
  }
}

const REQUEST_LOG = Symbol('express-m8.requestLog');

interface WithLog {
  id?: string;
  user?: { id?: unknown };
  [REQUEST_LOG]?: { readonly logger: Logger; readonly userId: unknown };
}

/**
 * Defines `req.log` on `requestPrototype` (an app's `app.request`): a getter that makes a child of `logger`
 * with `reqId` (and `userId` when `req.user.id` is set) the first time it is read, and again only when the
 * user changed since. A request that never reads it pays nothing. Assigning `req.log` replaces it.
 * @example
 * installRequestLog(app.request, logger);
 * app.get('/items', (req, res) => { req.log.info('listing'); res.json([]); });
 */
export function installRequestLog(requestPrototype: object, logger: Logger): void {
  Object.defineProperty(requestPrototype, 'log', {
    configurable: true,
    enumerable: false,
    get(this: WithLog): Logger {
      const userId = this.user?.id;
      const made = this[REQUEST_LOG];
      if (made !== undefined && made.userId === userId) return made.logger;
      const child =
        userId === undefined ? logger.child({ reqId: this.id }) : logger.child({ reqId: this.id, userId });
      this[REQUEST_LOG] = { logger: child, userId };
      return child;
    },
    set(this: WithLog, value: Logger): void {
      Object.defineProperty(this, 'log', { value, writable: true, configurable: true, enumerable: true });
    },
  });
}
