/**
 * Public health vocabulary (docs/health.md): statuses, policies, the check contract and the options
 * `createApp` accepts under `health`.
 */
import type { Request } from 'express';

/**
 * The state of an app, as health reports it: `initializing` until `start()` succeeds, `ready` after,
 * `shutting_down` from the moment `stop()` is called, `stopped` once teardown has finished. The lifecycle
 * module moves it; the readiness endpoint reads it.
 */
export type AppState = 'initializing' | 'ready' | 'shutting_down' | 'stopped';

/**
 * The status a health check (or the aggregate) reports. A frozen object of the wire values and a type of
 * the same name.
 * @example
 * const check: HealthCheck = async () => ({ name: 'cache', status: HealthStatus.DEGRADED });
 */
export const HealthStatus = Object.freeze({
  OK: 'ok',
  DEGRADED: 'degraded',
  FAIL: 'fail',
  UNKNOWN: 'unknown',
} as const);

/** One of `ok`, `degraded`, `fail`, `unknown`. */
export type HealthStatus = (typeof HealthStatus)[keyof typeof HealthStatus];

/**
 * How `unknown` counts in the aggregate: `lenient` reports it as `unknown` (still 200), `strict` as `fail`
 * (503). A frozen object of the wire values and a type of the same name.
 * @example
 * createApp(settings, router, { health: { checks, policy: HealthPolicy.STRICT } });
 */
export const HealthPolicy = Object.freeze({
  LENIENT: 'lenient',
  STRICT: 'strict',
} as const);

/** One of `lenient`, `strict`. */
export type HealthPolicy = (typeof HealthPolicy)[keyof typeof HealthPolicy];

/**
 * What a check resolves to. `latency_ms` and `ok` are filled in by the runner; `error` and `meta` are
 * scrubbed of credentials before they are shown.
 * @example
 * const result: HealthCheckResult = { name: 'queue', status: 'degraded', meta: { lag: 1800 } };
 */
export interface HealthCheckResult {
  /** The name shown in the detail body and used as the `check` metric label. */
  readonly name: string;
  readonly status: HealthStatus;
  /** Why the check is not `ok`; scrubbed with `scrubText`. */
  readonly error?: string | undefined;
  /** Extra facts (pool sizes, versions); secret-looking keys become `REDACTED`. */
  readonly meta?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * A health check: an async function resolving to a {@link HealthCheckResult}. A check that throws or times
 * out is reported as `fail` under its function's `name` (or `check-<index>` when anonymous).
 * @example
 * const redis: HealthCheck = async function redis() {
 *   return healthResult('redis', (await client.ping()) === 'PONG');
 * };
 */
export type HealthCheck = () => Promise<HealthCheckResult>;

/** Decides per request whether the caller may see the detailed health body. */
export type HealthDetailAuthorizer = (req: Request) => boolean | Promise<boolean>;

/**
 * The `health` member of `CreateAppOptions`.
 * @example
 * createApp(settings, router, { health: { checks: [db.check], timeoutMs: 300, policy: 'strict' } });
 */
export interface HealthOptions {
  /** Checks run concurrently on each (uncached) health request. Default: none (aggregate `ok`). */
  readonly checks?: readonly HealthCheck[] | undefined;
  /** Per-check time limit in milliseconds; past it the check is `fail` with `timeout <n>ms`. Default 500. */
  readonly timeoutMs?: number | undefined;
  /** How `unknown` counts in the aggregate. Default `lenient`. */
  readonly policy?: HealthPolicy | undefined;
  /** Show the detailed body to every caller. Default false. */
  readonly detailPublic?: boolean | undefined;
  /** Extra gate for the detailed body; a throw or rejection counts as `false`. */
  readonly detailAuthorizer?: HealthDetailAuthorizer | undefined;
  /** How long a finished run is reused, in milliseconds; 0 disables reuse (runs still shared). Default 2000. */
  readonly cacheTtlMs?: number | undefined;
}

/**
 * Builds a check result from a boolean: `ok` when `ok` is true, else `fail`.
 * @param name - the check name shown in the detail body.
 * @param ok - whether the dependency answered as expected.
 * @param meta - optional facts to show (scrubbed before display).
 * @returns `{ name, status, meta }`.
 * @example
 * const db: HealthCheck = async () => healthResult('db', await pingDb(), { pool: 10 });
 */
export function healthResult(
  name: string,
  ok: boolean,
  meta?: Readonly<Record<string, unknown>>,
): HealthCheckResult {
  return { name, status: ok ? HealthStatus.OK : HealthStatus.FAIL, meta };
}
