import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import type { HealthObserver } from '../health/runner.js';
import { type TrackedServer, trackServer } from '../lifecycle/drain.js';
import { hardenServer } from '../lifecycle/harden.js';
import { instrumentRoutes, type NodeMiddleware, routeTemplateOf } from '../routing/index.js';
import type { Settings } from '../settings/types.js';
import { ClusterWorkerLink, isClusterWorker } from './cluster.js';
import { createHttpMiddleware, HttpRecorder } from './http.js';
import { metricNames, metricsPrefix } from './names.js';
import {
  type AuthObserver,
  createAuthObserver,
  createDbObserver,
  createHealthObserver,
  type DbObserver,
} from './observers.js';
import { M8Registry } from './registry.js';
import { createMetricsServer, createScrapeHandler } from './scrape.js';

export { setupClusterMetrics } from './cluster.js';
export {
  ALL_METRICS_GROUPS,
  metricNames,
  metricsPrefix,
} from './names.js';

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /**
   * In a `node:cluster` worker, answer `/metrics` with the aggregate of all workers once the primary has
   * called `setupClusterMetrics()`. Default `true` (it has no effect outside a cluster worker).
   */
  readonly cluster?: boolean;
  /** How long a worker waits for the primary's aggregate before answering 503. Default 5500 ms. */
  readonly clusterTimeoutMs?: number;
  /** Interface of the `METRICS_PORT` server. Default: all interfaces, as `server.listen(port)` does. */
  readonly host?: string;
}

/** What {@link createMetrics} returns: one registry and its middleware, scrape handler and observers. */
export interface M8Metrics {
  /** This app's own registry: two apps in one process never share series. */
  readonly registry: Registry;
  /** The metric name prefix: METRICS_PREFIX, else derived from `API_PREFIX` (`api_`, or `''`). */
  readonly prefix: string;
  /** Records traffic, performance and reliability; mount it before the routes. */
  readonly middleware: NodeMiddleware;
  /** `GET /metrics`: 401 with `WWW-Authenticate: Bearer` unless the scrape credential matches. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /**
   * Present when `METRICS_PORT` is set: starts the separate metrics server (then do not mount
   * {@link handler} on the app). Resolves once listening; `close()` closes it.
   */
  readonly listen: ((options?: { port?: number; host?: string }) => Promise<Server>) | undefined;
  /** Hooks for the auth, health and db modules; no-ops for groups that are off. */
  readonly observers: {
    readonly auth: AuthObserver;
    readonly health: HealthObserver;
    readonly db: DbObserver;
  };
  /** The route label of a request: its full route template, or `UNMATCHED`. */
  routeOf(req: IncomingMessage): string;
  /** Walks the app's routers now (otherwise done on the first request); call again after adding routes. */
  instrument(app: unknown): void;
  /**
   * Closes the `METRICS_PORT` server. Idempotent, and not final: the registry keeps its series and
   * `listen()` may be called again (a failed start can be retried).
   */
  close(): Promise<void>;
}

/**
 * Creates the metrics of one app from settings, or `undefined` when `METRICS_ENABLED` is false.
 * Metric names are prefixed with METRICS_PREFIX, else from `API_PREFIX` (`/api` → `api_http_requests_total`);
 * Node process metrics keep their standard unprefixed names. `METRICS_GROUPS` selects which families exist;
 * requests whose route label is listed in METRICS_EXCLUDE_PATHS are not recorded.
 * @example
 * const metrics = createMetrics(settings);
 * if (metrics) {
 *   app.use(metrics.middleware);
 *   if (metrics.listen) await metrics.listen(); else app.get('/metrics', metrics.handler);
 * }
 */
export function createMetrics(
  settings: Pick<
    Settings,
    'METRICS_ENABLED' | 'METRICS_GROUPS' | 'METRICS_SCRAPE_CREDENTIAL' | 'METRICS_PORT' | 'API_PREFIX'
  > &
    Partial<
      Pick<
        Settings,
        | 'REQUEST_TIMEOUT_SECONDS'
        | 'SECURITY_HEADERS_ENABLED'
        | 'EVENT_STREAM_ENABLED'
        | 'METRICS_PREFIX'
        | 'METRICS_EXCLUDE_PATHS'
      >
    >,
  options: MetricsOptions = {},
): M8Metrics | undefined {
  if (!settings.METRICS_ENABLED) return undefined;
  const groups = new Set(settings.METRICS_GROUPS);
  const prefix = settings.METRICS_PREFIX ?? metricsPrefix(settings.API_PREFIX);
  const names = metricNames(prefix);
  const registry = new M8Registry();

  const recorder = new HttpRecorder(
    registry,
    names,
    {
      traffic: groups.has('traffic'),
      performance: groups.has('performance'),
      reliability: groups.has('reliability'),
    },
    settings.METRICS_EXCLUDE_PATHS,
  );
  const observers = Object.freeze({
    auth: createAuthObserver(registry, names, groups.has('auth'), settings.EVENT_STREAM_ENABLED === true),
    health: createHealthObserver(registry, names, groups.has('health')),
    db: createDbObserver(registry, names, groups.has('db')),
  });
  // Unprefixed on purpose: stock Node.js dashboards query `process_cpu_seconds_total`,
  // `nodejs_eventloop_lag_seconds` and friends by these exact names. The registry is this app's own, so
  // several apps in one process (or prom-client's global registry) never collide.
  if (groups.has('process')) collectDefaultMetrics({ register: registry });

  const link =
    options.cluster !== false && isClusterWorker()
      ? new ClusterWorkerLink(registry, options.clusterTimeoutMs ?? 5500)
      : undefined;
  const handler = createScrapeHandler(registry, settings.METRICS_SCRAPE_CREDENTIAL, link);
  const noRecording = !groups.has('traffic') && !groups.has('performance') && !groups.has('reliability');
  const middleware: NodeMiddleware = noRecording
    ? function expressM8MetricsOff(_req, _res, next): void {
        next();
      }
    : createHttpMiddleware(recorder);

  const metricsServer =
    settings.METRICS_PORT === undefined
      ? undefined
      : createMetricsPort(handler, settings.METRICS_PORT, options.host, {
          requestTimeoutSeconds: settings.REQUEST_TIMEOUT_SECONDS,
          securityHeaders: settings.SECURITY_HEADERS_ENABLED,
        });

  return Object.freeze({
    registry,
    prefix,
    middleware,
    handler,
    listen: metricsServer?.listen,
    observers,
    routeOf: routeTemplateOf,
    instrument: instrumentRoutes,
    async close(): Promise<void> {
      await metricsServer?.close();
    },
  });
}

/**
 * The `METRICS_PORT` server of {@link createMetrics}: `listen` starts it once (later calls resolve to the same
 * server until `close`), `close` drains and detaches it and may be followed by another `listen`.
 */
function createMetricsPort(
  handler: M8Metrics['handler'],
  port: number,
  defaultHost: string | undefined,
  hardening: { requestTimeoutSeconds: number | undefined; securityHeaders: boolean | undefined },
): { listen: NonNullable<M8Metrics['listen']>; close: () => Promise<void> } {
  let server: Server | undefined;
  let tracked: TrackedServer | undefined;
  const listen = (listenOptions: { port?: number; host?: string } = {}): Promise<Server> => {
    if (server !== undefined) return Promise.resolve(server);
    const created = createMetricsServer(handler);
    // The same request limits, 4xx answers and drain as the app's own server: a silent or slow
    // connection to the scrape port must not hold shutdown either.
    hardenServer(created, hardening);
    server = created;
    tracked = trackServer(created);
    return new Promise<Server>((resolve, reject) => {
      created.once('error', reject);
      created.listen(listenOptions.port ?? port, listenOptions.host ?? defaultHost, () => {
        created.off('error', reject);
        resolve(created);
      });
    });
  };
  const close = async (): Promise<void> => {
    const running = server;
    const drained = tracked;
    server = undefined;
    tracked = undefined;
    if (running?.listening && drained) await drained.drain();
    drained?.detach();
  };
  return { listen, close };
}
