import type { Kysely } from 'kysely';
import type { HealthCheck } from '../health/types.js';
import type { DbObserver, DbPoolStats } from '../observers.js';
import type { SelectedDb } from '../settings/types.js';
import type { DriverLoader, DriverVersionReader } from './drivers.js';

export type { DbObserver, DbPoolStats } from '../observers.js';

/** The subset of a pino logger the engine uses. */
export interface DbLogger {
  warn(obj: object, msg: string): void;
  /** The end of an outage is logged here when present (pino has it), else at `warn`. */
  info?(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** Options of {@link createDbEngine}; each one defaults to the real thing. */
export interface DbEngineOptions {
  /** Where pool errors and failed connection attempts are logged (scrubbed). Default: silent. */
  readonly logger?: DbLogger | undefined;
  /** Longest wait for a pooled connection, in milliseconds, before `ERR_DB_POOL_TIMEOUT`. Default 5000. */
  readonly acquireTimeoutMs?: number | undefined;
  /**
   * Bound of the health check, in milliseconds: its own connection's acquisition and its `SELECT 1` each give
   * up by then. Default 500, the health runner's default timeout; match a longer `health.timeoutMs`.
   */
  readonly healthTimeoutMs?: number | undefined;
  /** Loads a driver package by name. Default: `require` from the working directory, then from express-m8. */
  readonly loadDriver?: DriverLoader | undefined;
  /** Reads a driver's installed version for the compatibility check. Default: its package.json. */
  readonly driverVersion?: DriverVersionReader | undefined;
  /** Metrics hooks. With metrics on, `createApp` replaces them with its own when this is its `lifecycle.db`. */
  readonly observer?: DbObserver | undefined;
}

/** What the `database` health check reports in `meta`. */
export type DbCheckMeta = {
  readonly dialect: 'pglite' | 'postgres' | 'mysql';
  /** Round trip of `SELECT 1` in milliseconds, when it answered. */
  readonly latency_ms?: number;
  /** The error code when it failed: an express-m8 `ErrorCode` or the driver's code. */
  readonly code?: string;
};

/**
 * A kysely instance over the configured database plus its health check and teardown.
 * @typeParam DB - the consumer's kysely database interface.
 */
export interface DbEngine<DB> {
  /** The query builder. Queries after `dispose()` reject with `ERR_DB_DISPOSED`. */
  readonly db: Kysely<DB>;
  /** Health check named `database`: `SELECT 1`, timed; never throws. */
  readonly check: HealthCheck;
  /** Closes the pool (or the embedded database). Safe to call more than once. */
  dispose(): Promise<void>;
  /** `SELECTED_DB`. */
  readonly kind: SelectedDb;
  /** The connection target with the password replaced by `***`; safe to log. */
  readonly target: string;
  /** Current pool counts (PGlite: one connection). */
  poolStats(): DbPoolStats;
}
