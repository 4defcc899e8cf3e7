import { CompiledQuery, type Dialect, Kysely, type LogEvent } from 'kysely';
import type { HealthCheckResult } from '../health/types.js';
import { defaultDriverLoader, defaultDriverVersion, loadDriver } from './drivers.js';
import { GuardedDriver } from './guarded-driver.js';
import { createPoolHandle } from './pools.js';
import { describeError, errorCodeOf } from './scrub.js';
import { type DbSettings, resolveDbTarget } from './target.js';
import type { DbCheckMeta, DbEngine, DbEngineOptions, DbLogger, DbObserver } from './types.js';

const DEFAULT_ACQUIRE_TIMEOUT_MS = 5000;
const DIALECT_NAME = { Pglite: 'pglite', Postgres: 'postgres', Mysql: 'mysql' } as const;
const PING = CompiledQuery.raw('select 1');

interface Slot {
  observer: DbObserver | undefined;
  logger: DbLogger | undefined;
  readonly hasOwnLogger: boolean;
}

// Internal: lets createApp and the metrics module attach a logger and hooks after the engine exists (the
// consumer usually creates the engine before the app), without a public setter.
const slots = new WeakMap<object, Slot>();

/**
 * Sets (or clears) the metrics hooks of an engine made by {@link createDbEngine}. Internal to express-m8.
 * @example
 * setDbObserver(engine, { onQuery: (s) => histogram.observe(s), onError: () => errors.inc() });
 */
export function setDbObserver<DB>(engine: DbEngine<DB>, observer: DbObserver | undefined): void {
  const slot = slots.get(engine);
  if (slot) slot.observer = observer;
}

/**
 * Gives an engine made by {@link createDbEngine} the app's logger, unless it was created with its own
 * `options.logger` (which then stays). Internal to express-m8.
 * @example
 * setDbLogger(engine, appLogger.child({ component: 'db' }));
 */
export function setDbLogger<DB>(engine: DbEngine<DB>, logger: DbLogger | undefined): void {
  const slot = slots.get(engine);
  if (slot && !slot.hasOwnLogger) slot.logger = logger;
}

function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/**
 * Creates the kysely-backed database engine for `SELECTED_DB`: embedded PGlite (in memory or in
 * `PGLITE_DATA_DIR`), PostgreSQL through a `pg` pool, or MySQL/MariaDB through a `mysql2` pool.
 * `DATABASE_URL` overrides the `DB_*` fields; pools hold at most `DB_POOL_MAX` connections. Nothing connects
 * until the first query or `check()`.
 * @typeParam DB - the kysely database interface of your tables.
 * @param settings - the validated settings (`loadSettings()`).
 * @param options - injectable logger, acquisition timeout, driver loader and metrics observer.
 * @returns `{ db, check, dispose, kind, target, poolStats }`.
 * @example
 * const engine = createDbEngine<Database>(loadSettings());
 * const rows = await engine.db.selectFrom('item').selectAll().execute();
 * createApp(settings, router, { health: { checks: [engine.check] }, lifecycle: { db: engine } });
 * @throws DbError `ERR_DB_DRIVER_MISSING` when the driver package is not installed (the message names the
 * `npm install` command). Later, queries reject with `ERR_DB_POOL_TIMEOUT`, `ERR_DB_CONNECTION`,
 * `ERR_DB_AUTH_FAILED`, `ERR_DB_UNKNOWN_DATABASE` or `ERR_DB_DISPOSED`; SQL errors are the driver's own.
 * @throws CompatError `ERR_COMPAT_DRIVER` when the installed driver is outside `COMPAT_MATRIX`.
 * @throws SettingsError `ERR_SETTINGS_INVALID` when `DATABASE_URL` is malformed or of another database, or
 * neither it nor `DB_HOST` is set for a server database.
 */
export function createDbEngine<DB>(settings: DbSettings, options: DbEngineOptions = {}): DbEngine<DB> {
  const target = resolveDbTarget(settings);
  const acquireTimeoutMs = options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS;
  if (!Number.isFinite(acquireTimeoutMs) || acquireTimeoutMs <= 0) {
    throw new TypeError(
      `acquireTimeoutMs must be a positive number of milliseconds (got ${acquireTimeoutMs})`,
    );
  }
  const slot: Slot = {
    observer: options.observer,
    logger: options.logger,
    hasOwnLogger: options.logger !== undefined,
  };
  const mod = loadDriver(
    target.kind,
    options.loadDriver ?? defaultDriverLoader,
    options.driverVersion ?? defaultDriverVersion,
  );

  const onPoolError = (error: unknown): void => {
    slot.observer?.onError?.();
    slot.logger?.warn(
      {
        err: { message: describeError(error, target.secrets), code: errorCodeOf(error) },
        target: target.display,
      },
      'A pooled database connection failed; the pool will open a new one',
    );
  };
  const handle = createPoolHandle(mod, target, acquireTimeoutMs, onPoolError);
  const guard = new GuardedDriver(handle.dialect.createDriver(), {
    display: target.display,
    secrets: target.secrets,
    poolMax: target.poolMax,
    acquireTimeoutMs,
    logger: () => slot.logger,
    observer: () => slot.observer,
    idleCount: handle.idleCount,
    close: handle.close,
  });
  const inner = handle.dialect;
  const dialect: Dialect = {
    createAdapter: () => inner.createAdapter(),
    createDriver: () => guard,
    createQueryCompiler: () => inner.createQueryCompiler(),
    createIntrospector: (db) => inner.createIntrospector(db),
  };
  const log = (event: LogEvent): void => {
    if (event.level === 'query') {
      slot.observer?.onQuery?.(event.queryDurationMillis / 1000);
    } else {
      slot.observer?.onError?.();
      slot.logger?.debug(
        { err: { message: describeError(event.error, target.secrets), code: errorCodeOf(event.error) } },
        'database query failed',
      );
    }
  };
  const db = new Kysely<DB>({ dialect, log });
  const dialectName = DIALECT_NAME[target.kind];

  // Named so the health runner reports it as `database` even when it throws or times out.
  async function database(): Promise<HealthCheckResult> {
    const started = performance.now();
    try {
      await db.executeQuery(PING);
      const meta: DbCheckMeta = { dialect: dialectName, latency_ms: roundMs(performance.now() - started) };
      return { name: 'database', status: 'ok', meta };
    } catch (error) {
      const code = errorCodeOf(error);
      const meta: DbCheckMeta =
        code === undefined ? { dialect: dialectName } : { dialect: dialectName, code };
      return { name: 'database', status: 'fail', error: describeError(error, target.secrets), meta };
    }
  }

  const engine: DbEngine<DB> = Object.freeze({
    db,
    check: database,
    dispose: () => guard.destroy(),
    kind: target.kind,
    target: target.display,
    poolStats: () => guard.stats(),
  });
  slots.set(engine, slot);
  return engine;
}
