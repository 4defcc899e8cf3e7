/**
 * The composition root: settings → logger → request id → tracing → request log → metrics → security headers →
 * host check → CORS → built-in routes → consumer router → 404 → error handler (docs/architecture.md).
 * The request log comes before the host check and CORS so refused requests and preflights are logged too.
 * JSON bodies are parsed inside the matched routes, after their auth guards (see `http/route-body.ts`).
 */
import express, { type Router as ExpressRouter, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { attachToApp } from './attach.js';
import { assertCompatible, installedVersion } from './compat/index.js';
import { configWarnings } from './config-warnings.js';
import { registerBuiltinRoutes } from './create-app-routes.js';
import {
  attachOpenApiSource,
  buildOpenApiDocument,
  createOpenApiSource,
  type OpenApiSource,
  registerDocsRoutes,
} from './docs/index.js';
import { type HealthCheck, type HealthOptions, registerHealthRoutes } from './health/index.js';
import {
  composeMiddleware,
  createErrorHandler,
  createRouteBodies,
  type Middleware,
  markNoBody,
  notFoundHandler,
  type RouteBodies,
  useAppServerForListen,
  weakEtag,
} from './http/index.js';
import {
  type AppState,
  bindLifecycle,
  createLifecycle,
  type LifecycleOptions,
  type M8App,
  type M8AppMetrics,
} from './lifecycle/index.js';
import { createLogger, createRequestLogger, installRequestLog, logStartupSummary } from './logging/index.js';
import { createMetrics, type M8Metrics } from './metrics/index.js';
import {
  catchAsyncErrors,
  instrumentRoutes,
  listRoutes,
  markUnmatched,
  routeTemplateOf,
} from './routing/index.js';
import { createCors, createHostCheck, createRequestId, createSecurityHeaders } from './security/index.js';
import type { Settings } from './settings/types.js';
import { createTracing, type M8Tracing } from './tracing/index.js';

/**
 * Options of {@link createApp} (docs/lifecycle.md).
 */
export interface CreateAppOptions {
  /** `service` in health detail, `/meta` and logs; default PROJECT_NAME. */
  serviceName?: string;
  /** `version` in health detail and `/meta`; default SERVICE_VERSION, else `null`. */
  serviceVersion?: string;
  /** Health checks and the detail gate; see `docs/health.md`. */
  health?: HealthOptions;
  /** What the app starts and stops: auth (JWKS prefetch, close), db (dispose), validators, extras. */
  lifecycle?: LifecycleOptions;
  /**
   * A partial OpenAPI document (info, servers, tags, extra paths or components) merged over the generated one
   * served at `{API_PREFIX}/openapi.json`; see docs/contracts.md for the merge rules.
   */
  openapi?: object;
  /** A pino logger to use instead of the built-in one. */
  logger?: Logger;
  /**
   * Most JSON request-body bytes read at once across the process (each body counts its Content-Length, or the
   * 1 MiB limit when chunked); a body that would go over it gets 503 problem+json with `Retry-After: 1`.
   * Default 16 MiB; at least 1 MiB.
   */
  maxBodyBytesInFlight?: number;
  /**
   * Opt-in: `app.listen()` serves through `createAppServer` (requests born with the app's Express prototypes,
   * ~2.3–2.5× fewer instructions for bare Express on Node 20 and 22) instead of Express's own `listen`.
   * Ignored with one warning on V8 ≥ 13 (Node 24+), where it is slower, or when its self-test fails.
   * Default `false`: `app.listen` is Express's. `serve()` has its own option. See docs/lifecycle.md.
   * @example
   * createApp(settings, router, { appServerClasses: true }).listen(8000);
   */
  appServerClasses?: boolean;
}

/**
 * What the app itself opens at start, around the consumer's lifespan extras: the tracer check, route-template
 * instrumentation (for metrics and log lines), the OpenAPI document and the METRICS_PORT server, closed after the extras' teardown.
 */
function withAppExtras(
  options: LifecycleOptions,
  app: express.Express,
  tracing: M8Tracing,
  metrics: M8Metrics | undefined,
  bodies: RouteBodies,
  openapi: OpenApiSource,
): LifecycleOptions {
  const extras = options.lifespanExtras;
  return {
    ...options,
    async lifespanExtras(m8) {
      tracing.refresh();
      // Before the route-template instrumentation wraps the mount layers (see route-body.ts).
      bodies.install();
      instrumentRoutes(app);
      // Every route is registered by now: the document is built from them once and served as is.
      openapi.rebuild();
      if (metrics?.listen) await metrics.listen();
      let teardown: void | (() => Promise<void>);
      try {
        teardown = await extras?.(m8);
      } catch (error) {
        await metrics?.close();
        throw error;
      }
      return async () => {
        try {
          if (teardown) await teardown();
        } finally {
          await metrics?.close();
        }
      };
    },
  };
}

/** Reached only when no route matched: the metrics and log route label becomes `UNMATCHED`. */
function unmatched(req: express.Request, _res: express.Response, next: express.NextFunction): void {
  markUnmatched(req);
  next();
}

/** `app.metrics`: the served registry, or one nothing serves when metrics are off. */
function appMetrics(metrics: M8Metrics | undefined): M8AppMetrics {
  if (metrics === undefined) return Object.freeze({ registry: new Registry(), enabled: false, prefix: '' });
  return Object.freeze({ registry: metrics.registry, enabled: true, prefix: metrics.prefix });
}

/** Identity and the pieces every part of the app is built around. */
interface AppCore {
  readonly settings: Settings;
  readonly service: string;
  readonly version: string | null;
  readonly logger: Logger;
  readonly metrics: M8Metrics | undefined;
}

/** The generated OpenAPI document of `router` plus the built-ins, merged with `options.openapi`. */
function openApiSourceOf(
  core: AppCore,
  router: ExpressRouter | RequestHandler,
  extra: object | undefined,
): OpenApiSource {
  const { settings } = core;
  return createOpenApiSource(() =>
    buildOpenApiDocument(settings, {
      routes: listRoutes(router),
      title: core.service,
      version: core.version,
      guardsMayBeUnavailable: settings.TOKEN_MODE !== 'stateless' || settings.JWKS_URI !== undefined,
      apiKeys: settings.API_KEYS !== 'off',
      extra,
    }),
  );
}

/** The startup summary and one warning per risky setting, logged at `start()`. */
function startupWarnings(core: AppCore): () => void {
  const { logger, settings } = core;
  return () => {
    logStartupSummary(logger, { service: core.service, version: core.version, settings });
    for (const warning of configWarnings(settings))
      logger.warn({ variable: warning.variable }, warning.message);
  };
}

/**
 * The edge of every request, run as one Express layer (see composeMiddleware): body-gate refresh → request
 * id → tracing → request log → metrics → security headers → host check → CORS. No body parsing here: see
 * route-body.ts.
 */
function edgeMiddleware(
  core: AppCore,
  tracing: M8Tracing,
  bodies: RouteBodies,
): ReturnType<typeof composeMiddleware> {
  const { settings, metrics } = core;
  const prefix = settings.API_PREFIX;
  const edge: Middleware[] = [
    // First, before tracing or metrics instrument the routes lazily: gates routes registered since the walk.
    function refreshRouteBodies(_req: unknown, _res: unknown, next: () => void) {
      bodies.refresh();
      next();
    },
    createRequestId(),
    tracing.middleware,
    createRequestLogger(core.logger, {
      routeOf: routeTemplateOf,
      ignorePaths: settings.LOG_IGNORE_PATHS ?? [
        `${prefix}/health`,
        `${prefix}/health/*`,
        `${prefix}/ping`,
        '/metrics',
      ],
    }),
  ];
  // Metrics before the refusals below, so refused hosts and CORS preflights are counted too.
  if (metrics) edge.push(metrics.middleware);
  const securityHeaders = createSecurityHeaders(settings);
  if (securityHeaders) edge.push(securityHeaders);
  // Probes and the Prometheus scrape reach the pod by IP, whatever ALLOWED_HOSTS says.
  const exemptPaths = [`${prefix}/health/live`, `${prefix}/health/ready`];
  if (metrics && !metrics.listen) exemptPaths.push('/metrics');
  edge.push(createHostCheck(settings, { exemptPaths }));
  edge.push(createCors(settings));
  return markNoBody(composeMiddleware(edge));
}

/**
 * Gives `lifecycle.db` and `lifecycle.auth` the app's logger and observers (src/attach.ts) and returns the
 * health checks: the consumer's, then those the attached objects add (the database's unless already listed,
 * then the event stream's).
 */
function attachDependencies(core: AppCore, options: CreateAppOptions): HealthCheck[] {
  const { auth, db } = options.lifecycle ?? {};
  const attached = attachToApp([db, auth], { logger: core.logger, observers: core.metrics?.observers });
  const checks = [...(options.health?.checks ?? [])];
  for (const check of attached) if (!checks.includes(check)) checks.push(check);
  return checks;
}

/**
 * Built-in routes are app-level routes, not mounted routers: a consumer request under API_PREFIX then pays
 * one path test per route instead of a router dispatch per mounted router.
 */
function registerBuiltins(
  app: express.Express,
  core: AppCore,
  health: HealthOptions,
  openapi: OpenApiSource,
  getState: () => AppState,
): void {
  const { settings, service, version, metrics } = core;
  const prefix = settings.API_PREFIX;
  registerHealthRoutes(app, prefix, {
    health,
    credential: settings.HEALTH_DETAIL_CREDENTIAL,
    service,
    version,
    getState,
    observer: metrics?.observers.health,
    logger: core.logger,
  });
  registerBuiltinRoutes(app, prefix, { service, version });
  registerDocsRoutes(app, prefix, settings, { source: openapi, title: service, version });
  if (metrics && !metrics.listen) app.get('/metrics', metrics.handler);
}

/** A bare Express app: no `X-Powered-By`, `req.log`, the body gate and the cheap weak ETags. */
function bareApp(
  logger: Logger,
  maxBodyBytesInFlight: number | undefined,
): { app: express.Express; bodies: RouteBodies } {
  const app = express();
  app.disable('x-powered-by');
  installRequestLog(app.request, logger);
  // Express 4 ignores a handler's returned promise: after each walk of the body gate (at creation, at start and
  // on the first request after routes were added) the new handlers are wrapped so a rejection reaches the
  // error handler. A no-op on Express 5.
  const bodies = createRouteBodies(app, {
    maxBytesInFlight: maxBodyBytesInFlight,
    afterWalk: () => catchAsyncErrors(app),
  });
  // The same weak ETags as Express's default, computed without a Hash object per response.
  app.set('etag fn', weakEtag);
  return { app, bodies };
}

/**
 * Wraps a consumer router with everything a production service needs around it. Never listens: call
 * `serve(app)` (or mount it in your own server and call `app.start()` / `app.stop()`).
 *
 * The consumer router is mounted at the root, as given; health, ping, meta and docs live under API_PREFIX;
 * `/metrics` is at the root (or on METRICS_PORT). A `lifecycle.db` made by `createDbEngine` adds its `check`
 * to the health checks unless it is already listed.
 * @example
 * const settings = loadSettings();
 * const auth = buildAuthDeps(settings);
 * const router = express.Router().get('/items', auth.requireUser, (req, res) => res.json([]));
 * const app = createApp(settings, router, { lifecycle: { auth } });
 * await serve(app);
 * @throws {SettingsError} `ERR_SETTINGS_INVALID` when options (health, security headers, maxBodyBytesInFlight)
 * are invalid.
 */
export function createApp(
  settings: Settings,
  router: ExpressRouter | RequestHandler,
  options: CreateAppOptions = {},
): M8App {
  const service = options.serviceName ?? settings.PROJECT_NAME;
  const logger = createLogger(settings, { logger: options.logger, serviceName: service });
  const core: AppCore = {
    settings,
    service,
    version: options.serviceVersion ?? settings.SERVICE_VERSION ?? null,
    logger,
    metrics: createMetrics(settings),
  };
  const tracing = createTracing();
  const { app, bodies } = bareApp(logger, options.maxBodyBytesInFlight);
  const openapi = openApiSourceOf(core, router, options.openapi);
  const lifecycleOptions = options.lifecycle ?? {};
  const lifecycle = createLifecycle({
    app,
    settings,
    logger,
    options: withAppExtras(lifecycleOptions, app, tracing, core.metrics, bodies, openapi),
    compatCheck: () => assertCompatible(),
    warnings: startupWarnings(core),
  });
  const m8 = bindLifecycle(app, lifecycle);
  Object.defineProperty(m8, 'metrics', { value: appMetrics(core.metrics), enumerable: false });
  attachOpenApiSource(m8, openapi);
  if (options.appServerClasses === true) {
    // Express 5's listen hands a listen error to its callback, Express 4's emits it; keep the installed one's.
    const expressMajor = Number.parseInt(installedVersion('express') ?? '5', 10);
    useAppServerForListen(app, { logger, errorsToCallback: expressMajor >= 5 });
  }
  const checks = attachDependencies(core, options);

  app.use(edgeMiddleware(core, tracing, bodies));
  registerBuiltins(app, core, { ...options.health, checks }, openapi, () => lifecycle.state);
  lifecycleOptions.configure?.(m8);
  app.use(router);
  app.use(markNoBody(unmatched), markNoBody(notFoundHandler));
  app.use(createErrorHandler(logger));
  bodies.install();
  return m8;
}
