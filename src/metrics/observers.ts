import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { HealthStatus } from '../health/index.js';
import type { HealthObserver } from '../health/runner.js';
import type { AuthObserver as AuthHooks, DbObserver as DbHooks } from '../observers.js';
import type { MetricNames } from './names.js';
import { DB_DURATION_BUCKETS, HEALTH_DURATION_BUCKETS } from './names.js';

/** The auth hooks as metrics builds them: every one present. */
export type AuthObserver = Required<AuthHooks>;

/** The database hooks as metrics builds them, plus the pool snapshot read at each scrape. */
export interface DbObserver extends Required<DbHooks> {
  /** Registers the pool snapshot (connections per state) read at each scrape for `db_pool_connections{state}`. */
  poolStats(source: () => PoolCounts | undefined): void;
}

/** Connections per state, any states (the engine reports `idle`, `used`, `waiting`). */
type PoolCounts = Readonly<Record<string, number>>;

/** The value of `health_check_status` for each status: a health score, 1 best. */
const HEALTH_STATUS_VALUES: Readonly<Record<HealthStatus, number>> = Object.freeze({
  ok: 1,
  degraded: 0.5,
  unknown: 0.25,
  fail: 0,
});

/** At most this many distinct values of a free-text label; more fold into `other` (bounded label sets). */
const MAX_LABEL_VALUES = 64;

const noop = (): void => {};

/** A counter with one cached child per label value, bounded. */
function labelledCounter(
  registry: Registry,
  name: string,
  help: string,
  label: string,
): (value: string) => void {
  const counter = new Counter({ name, help, labelNames: [label], registers: [registry] });
  const children = new Map<string, Counter.Internal>();
  return (value: string): void => {
    let child = children.get(value);
    if (child === undefined) {
      const key = children.size < MAX_LABEL_VALUES ? value : 'other';
      child = children.get(key) ?? counter.labels(key);
      children.set(key, child);
    }
    child.inc();
  };
}

/** The event stream's series (registered only when the stream is on). */
function eventStreamObserver(
  registry: Registry,
  names: MetricNames,
): Pick<AuthObserver, 'onEventStreamConnected' | 'onEventStreamEvent' | 'onEventStreamReconnect'> {
  const connected = new Gauge({
    name: names.authEventStreamConnected,
    help: 'Whether the revocation event stream is connected (1) or not (0).',
    registers: [registry],
  });
  connected.set(0);
  const events = new Counter({
    name: names.authEventStreamEventsTotal,
    help: 'Revocation event stream frames, by event type and result.',
    labelNames: ['event_type', 'result'],
    registers: [registry],
  });
  const reconnects = new Counter({
    name: names.authEventStreamReconnectsTotal,
    help: 'Reconnection attempts of the revocation event stream.',
    registers: [registry],
  });
  return {
    // Both labels come from fixed sets in the stream code (unknown event types are counted as `other`).
    onEventStreamConnected: (value) => connected.set(value ? 1 : 0),
    onEventStreamEvent: (eventType, result) => events.labels(eventType, result).inc(),
    onEventStreamReconnect: () => reconnects.inc(),
  };
}

/**
 * Builds the auth observer; a no-op when the group is off. The event stream series exist only when
 * `eventStream` is true (EVENT_STREAM_ENABLED).
 */
export function createAuthObserver(
  registry: Registry,
  names: MetricNames,
  enabled: boolean,
  eventStream = false,
): AuthObserver {
  const stream =
    enabled && eventStream
      ? eventStreamObserver(registry, names)
      : { onEventStreamConnected: noop, onEventStreamEvent: noop, onEventStreamReconnect: noop };
  if (!enabled) return { onAuthFailure: noop, onRevocationCheck: noop, onJwksRefresh: noop, ...stream };
  return {
    ...stream,
    onAuthFailure: labelledCounter(
      registry,
      names.authFailuresTotal,
      'Requests rejected by authentication or authorization, by reason.',
      'reason',
    ),
    onRevocationCheck: labelledCounter(
      registry,
      names.revocationChecksTotal,
      'Token revocation checks, by result.',
      'result',
    ),
    onJwksRefresh: labelledCounter(registry, names.jwksRefreshTotal, 'JWKS fetches, by result.', 'result'),
  };
}

/** Builds the health observer; a no-op when the group is off. */
export function createHealthObserver(
  registry: Registry,
  names: MetricNames,
  enabled: boolean,
): HealthObserver {
  if (!enabled) return { onCheck: noop };
  const status = new Gauge({
    name: names.healthCheckStatus,
    help: 'Last result of each health check: 1 ok, 0.5 degraded, 0.25 unknown, 0 fail.',
    labelNames: ['check'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: names.healthCheckDurationSeconds,
    help: 'Duration of each health check, in seconds.',
    labelNames: ['check'],
    buckets: [...HEALTH_DURATION_BUCKETS],
    registers: [registry],
  });
  const known = new Set<string>();
  return {
    onCheck(name: string, value: HealthStatus, seconds: number): void {
      // Check names come from code, not from clients; still, keep the label set bounded.
      const check = known.has(name) || known.size < MAX_LABEL_VALUES ? name : 'other';
      known.add(check);
      status.labels(check).set(HEALTH_STATUS_VALUES[value] ?? 0);
      duration.labels(check).observe(seconds);
    },
  };
}

/** Builds the database observer; a no-op when the group is off. */
export function createDbObserver(registry: Registry, names: MetricNames, enabled: boolean): DbObserver {
  if (!enabled) return { onQuery: noop, onError: noop, poolStats: noop };
  const duration = new Histogram({
    name: names.dbQueryDurationSeconds,
    help: 'Duration of database queries, in seconds.',
    buckets: [...DB_DURATION_BUCKETS],
    registers: [registry],
  });
  const errors = new Counter({
    name: names.dbErrorsTotal,
    help: 'Failed database queries and connections.',
    registers: [registry],
  });
  const sources: (() => PoolCounts | undefined)[] = [];
  new Gauge({
    name: names.dbPoolConnections,
    help: 'Connections of the database pool, by state, read at scrape time.',
    labelNames: ['state'],
    registers: [registry],
    collect(): void {
      this.reset();
      for (const source of sources) {
        const stats = source();
        if (stats === undefined) continue;
        for (const state of Object.keys(stats)) {
          const value = stats[state];
          if (typeof value === 'number' && Number.isFinite(value)) this.labels(state).inc(value);
        }
      }
    },
  });
  return {
    onQuery(seconds: number): void {
      duration.observe(seconds);
    },
    onError(): void {
      errors.inc();
    },
    poolStats(source: () => PoolCounts | undefined): void {
      sources.push(source);
    },
  };
}
