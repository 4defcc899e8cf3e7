import pkg from '../../package.json' with { type: 'json' };

/**
 * The version of this express-m8 build, equal to `version` in its package.json.
 * @example
 * import { VERSION } from 'express-m8';
 * console.log(`express-m8 ${VERSION}`);
 */
export const VERSION: string = pkg.version;

/** What one express-m8 minor supports: each value is a semver range (`>=x.y`, `^x.y`, `||`, AND by space). */
export interface CompatRow {
  readonly node: string;
  readonly express: string;
  readonly kysely: string;
  readonly pg: string;
  readonly mysql2: string;
  readonly '@electric-sql/pglite': string;
}

/** The optional database drivers whose versions are checked when they load. */
export type DriverName = 'pg' | 'mysql2' | '@electric-sql/pglite';

/**
 * Supported ranges of Node.js, express, kysely and the optional drivers, per express-m8 `"<major>.<minor>"`.
 * The row of the running minor is checked at import (Node.js, express) and when a driver loads.
 * Kept equal to `engines` and `peerDependencies` in package.json by a test.
 * @example
 * import { COMPAT_MATRIX } from 'express-m8';
 * COMPAT_MATRIX['0.1']?.express; // '^4.21 || ^5'
 */
export const COMPAT_MATRIX: Readonly<Record<string, CompatRow>> = Object.freeze({
  '0.1': Object.freeze({
    node: '>=20.19',
    express: '^4.21 || ^5',
    kysely: '^0.28',
    pg: '^8.11',
    mysql2: '^3.9',
    '@electric-sql/pglite': '>=0.2',
  }),
});

/** What this build supports; a consumer or an operator can branch on these flags. */
export interface Capabilities {
  /** The app runs without any database configured. */
  readonly db_optional: boolean;
  /** Health details are shown only to callers holding `HEALTH_DETAIL_CREDENTIAL` (or an authorizer). */
  readonly health_detail_gating: boolean;
  /** Signing keys from `JWKS_URI`, cached, with a refetch cooldown. */
  readonly jwks: boolean;
  /** HS256 tokens verified with `ACCESS_SECRET_KEY`. */
  readonly hs256: boolean;
  /** RS256 and ES256 tokens verified with a public key or a JWKS. */
  readonly asymmetric_keys: boolean;
  /** Stateful token revocation through `INTROSPECTION_URL`. */
  readonly revocation: boolean;
  /** Prometheus `/metrics`. */
  readonly metrics: boolean;
  /** In a `node:cluster`, `/metrics` on any worker sums all workers (the primary calls `setupClusterMetrics`). */
  readonly cluster_metrics: boolean;
  /** W3C `traceparent` propagation, and OpenTelemetry spans when `@opentelemetry/api` is installed. */
  readonly tracing: boolean;
  /** Embedded PGlite database. */
  readonly pglite: boolean;
  /** MySQL and MariaDB through mysql2. */
  readonly mysql: boolean;
  /** PostgreSQL through pg. */
  readonly postgres: boolean;
  /** Graceful shutdown on SIGTERM/SIGINT with a readiness drain. */
  readonly graceful_shutdown: boolean;
  /** OpenAPI document, Swagger UI and ReDoc pages. */
  readonly openapi_docs: boolean;
}

/**
 * The features this build supports, frozen.
 * @example
 * import { CAPABILITIES } from 'express-m8';
 * if (CAPABILITIES.revocation) console.log('stateful tokens supported');
 */
export const CAPABILITIES: Readonly<Capabilities> = Object.freeze({
  db_optional: true,
  health_detail_gating: true,
  jwks: true,
  hs256: true,
  asymmetric_keys: true,
  revocation: true,
  metrics: true,
  cluster_metrics: true,
  tracing: true,
  pglite: true,
  mysql: true,
  postgres: true,
  graceful_shutdown: true,
  openapi_docs: true,
});

/** The `"<major>.<minor>"` key of a version, e.g. `0.1` for `0.1.3`. */
export function minorKey(version: string): string {
  const [major = '', minor = ''] = version.split('.');
  return `${major}.${minor}`;
}
