import { METRICS_GROUP_NAMES, type MetricsGroup } from '../settings/index.js';

/** Every group `METRICS_GROUPS=all` expands to (the settings' own list). */
export const ALL_METRICS_GROUPS: readonly MetricsGroup[] = METRICS_GROUP_NAMES;

/** Buckets of `http_request_duration_seconds`, in seconds (docs/observability.md: 0.005 … 10). */
export const HTTP_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/** Buckets of `db_query_duration_seconds`, in seconds: queries are usually faster than requests. */
export const DB_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
]);

/** Buckets of `health_check_duration_seconds`, in seconds (checks are bounded by `timeoutMs`, 500 ms by default). */
export const HEALTH_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
]);

/**
 * The metric name prefix for an `API_PREFIX`: `/api` → `api_`, `/api/v1` → `api_v1_`, `''` or `/` → `''`.
 * Every character outside `[a-zA-Z0-9_]` becomes `_` (runs collapse to one); a leading digit gets a `_`.
 * @example
 * metricsPrefix('/api/v1'); // 'api_v1_'
 */
export function metricsPrefix(apiPrefix: string): string {
  const core = apiPrefix
    .replace(/[^a-zA-Z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .replace(/_{2,}/g, '_');
  if (core === '') return '';
  return (/^[0-9]/.test(core) ? '_' : '') + core + '_';
}

/** The metric names of one prefix; histograms also expose `_bucket`, `_sum` and `_count` series. */
export interface MetricNames {
  readonly httpRequestsTotal: string;
  readonly httpRequestDurationSeconds: string;
  readonly httpErrorsTotal: string;
  readonly healthCheckStatus: string;
  readonly healthCheckDurationSeconds: string;
  readonly authFailuresTotal: string;
  readonly revocationChecksTotal: string;
  readonly jwksRefreshTotal: string;
  readonly authEventStreamConnected: string;
  readonly authEventStreamEventsTotal: string;
  readonly authEventStreamReconnectsTotal: string;
  readonly dbQueryDurationSeconds: string;
  readonly dbErrorsTotal: string;
  readonly dbPoolConnections: string;
}

/**
 * The names of every metric express-m8 registers for a prefix (see {@link metricsPrefix}).
 * @example
 * metricNames('api_').httpRequestsTotal; // 'api_http_requests_total'
 */
export function metricNames(prefix: string): MetricNames {
  return Object.freeze({
    httpRequestsTotal: `${prefix}http_requests_total`,
    httpRequestDurationSeconds: `${prefix}http_request_duration_seconds`,
    httpErrorsTotal: `${prefix}http_errors_total`,
    healthCheckStatus: `${prefix}health_check_status`,
    healthCheckDurationSeconds: `${prefix}health_check_duration_seconds`,
    authFailuresTotal: `${prefix}auth_failures_total`,
    revocationChecksTotal: `${prefix}revocation_checks_total`,
    jwksRefreshTotal: `${prefix}jwks_refresh_total`,
    authEventStreamConnected: `${prefix}auth_event_stream_connected`,
    authEventStreamEventsTotal: `${prefix}auth_event_stream_events_total`,
    authEventStreamReconnectsTotal: `${prefix}auth_event_stream_reconnects_total`,
    dbQueryDurationSeconds: `${prefix}db_query_duration_seconds`,
    dbErrorsTotal: `${prefix}db_errors_total`,
    dbPoolConnections: `${prefix}db_pool_connections`,
  });
}
