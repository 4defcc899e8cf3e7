import { CompiledQuery, type Dialect, Kysely, type LogEvent } from 'kysely';
import type { DbError } from '../errors.js';
import type { HealthCheckResult } from '../health/types.js';
import { defaultDriverLoader, defaultDriverVersion, loadDriver } from './drivers.js';
import { GuardedDriver } from './guarded-driver.js';
import { isDbOutage, markEngineError } from './outage.js';
import { createPoolHandle, type PoolErrorHandler, type PoolHandle } from './pools.js';
import { describeError, errorCodeOf } from './scrub.js';
import { type DbSettings, type DbTarget, resolveDbTarget } from './target.js';
import type { DbCheckMeta, DbEngine, DbEngineOptions, DbLogger, DbObserver } from './types.js';

const DEFAULT_ACQUIRE_TIMEOUT_MS = 5000;
const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;
/** The health runner's default timeout: the check gives up (and frees its connection) by then. */
const DEFAULT_HEALTH_TIMEOUT_MS = 500;
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

function positiveMs(name: string, value: number, allowZero: boolean): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TypeError(
      `${name} must be a ${allowZero ? 'non-negative' : 'positive'} number of milliseconds (got ${value})`,
    );
  }
  return value;
}

/**
 * Remembers whether the database is reachable so an outage is logged once when it starts and once when it
 * ends, not once per failed request: during an outage every request fails the same way, and a warning (with a
 * stack trace upstream) per request floods the log exactly when it is read.
 */
class Availability {
  #down = false;

  constructor(
    private readonly slot: Slot,
    private readonly target: DbTarget,
  ) {}

  /** Logs a failure: an outage once at `warn` when it starts (then `debug`), anything else at `warn`. */
  failed(error: unknown): void {
    const logger = this.slot.logger;
    const code = errorCodeOf(error);
    const message = describeError(error, this.target.secrets);
    if (!isDbOutage(error)) {
      logger?.warn({ code, target: this.target.display }, message);
      return;
    }
    if (this.#down) {
      logger?.debug({ code, target: this.target.display }, message);
      return;
    }
    this.#down = true;
    logger?.warn(
      { code, target: this.target.display, db_available: false },
      `database unavailable: ${message}`,
    );
  }

  /** Called after a query or check succeeded: ends an outage, logged once at `info`. */
  ok(): void {
    if (!this.#down) return;
    this.#down = false;
    const logger = this.slot.logger;
    const fields = { target: this.target.display, db_available: true };
    if (logger?.info) logger.info(fields, 'database available again');
    else logger?.warn(fields, 'database available again');
  }
}

/** A kysely dialect whose driver is `guard`, over the adapter and compiler of `handle`'s dialect. */
function guardedDialect(handle: PoolHandle, guard: GuardedDriver): Dialect {
  const inner = handle.dialect;
  return {
    createAdapter: () => inner.createAdapter(),
    createDriver: () => guard,
    createQueryCompiler: () => inner.createQueryCompiler(),
    createIntrospector: (db) => inner.createIntrospector(db),
  };
}

/** The three time bounds, each checked (`ERR_SETTINGS_INVALID` names the option or variable). */
function engineTimeouts(
  settings: DbSettings,
  options: DbEngineOptions,
): { acquireTimeoutMs: number; statementTimeoutMs: number; healthTimeoutMs: number } {
  return {
    acquireTimeoutMs: positiveMs(
      'acquireTimeoutMs',
      options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS,
      false,
    ),
    statementTimeoutMs: positiveMs(
      'DB_STATEMENT_TIMEOUT_MS',
      settings.DB_STATEMENT_TIMEOUT_MS ?? DEFAULT_STATEMENT_TIMEOUT_MS,
      true,
    ),
    healthTimeoutMs: positiveMs(
      'healthTimeoutMs',
      options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS,
      false,
    ),
  };
}

/** The engine's health check: `SELECT 1` on its own connection, one run shared by concurrent probes. */
function databaseCheck<DB>(
  db: Kysely<DB>,
  guard: GuardedDriver,
  ping: HealthPing,
  availability: Availability,
  target: DbTarget,
): () => Promise<HealthCheckResult> {
  const dialectName = DIALECT_NAME[target.kind];
  let inFlight: Promise<HealthCheckResult> | undefined;
  async function runCheck(): Promise<HealthCheckResult> {
    const started = performance.now();
    try {
      if (guard.disposed) await db.executeQuery(PING); // rejects with ERR_DB_DISPOSED
      await ping.run();
      availability.ok();
      const meta: DbCheckMeta = { dialect: dialectName, latency_ms: roundMs(performance.now() - started) };
      return { name: 'database', status: 'ok', meta };
    } catch (error) {
      if (isDbOutage(error)) availability.failed(error);
      const code = errorCodeOf(error);
      const meta: DbCheckMeta =
        code === undefined ? { dialect: dialectName } : { dialect: dialectName, code };
      return { name: 'database', status: 'fail', error: describeError(error, target.secrets), meta };
    }
  }

  // Named so the health runner reports it as `database` even when it throws or times out. Concurrent probes
  // (readiness, detail, a scrape) share the one in flight instead of queueing for the health connection.
  async function database(): Promise<HealthCheckResult> {
    inFlight ??= runCheck().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }
  return database;
}

/**
 * Creates the kysely-backed database engine for `SELECTED_DB`: embedded PGlite (in memory or in
 * `PGLITE_DATA_DIR`), PostgreSQL through a `pg` pool, or MySQL/MariaDB through a `mysql2` pool.
 * `DATABASE_URL` overrides the `DB_*` fields; pools hold at most `DB_POOL_MAX` connections. Nothing connects
 * until the first query or `check()`.
 * @typeParam DB - the kysely database interface of your tables. Pass it: without it `db` is a
 * `Kysely<unknown>`, on which no `selectFrom('table')` compiles.
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
  const { acquireTimeoutMs, statementTimeoutMs, healthTimeoutMs } = engineTimeouts(settings, options);
  const slot: Slot = {
    observer: options.observer,
    logger: options.logger,
    hasOwnLogger: options.logger !== undefined,
  };
  const availability = new Availability(slot, target);
  const mod = loadDriver(
    target.kind,
    options.loadDriver ?? defaultDriverLoader,
    options.driverVersion ?? defaultDriverVersion,
  );

  const onPoolError: PoolErrorHandler = (error) => {
    slot.observer?.onError?.();
    // A dropped idle connection is usually the first sign of an outage: part of its one log line.
    if (isDbOutage(error)) {
      availability.failed(error);
      return;
    }
    slot.logger?.warn(
      {
        err: { message: describeError(error, target.secrets), code: errorCodeOf(error) },
        target: target.display,
      },
      'A pooled database connection failed; the pool will open a new one',
    );
  };
  const onFailure = (error: DbError): void => availability.failed(error);
  const handle = createPoolHandle(
    mod,
    target,
    {
      acquireMs: acquireTimeoutMs,
      statementMs: statementTimeoutMs,
      statementLabel: 'DB_STATEMENT_TIMEOUT_MS',
    },
    onPoolError,
  );
  const guard = new GuardedDriver(handle.dialect.createDriver(), {
    display: target.display,
    secrets: target.secrets,
    poolMax: target.poolMax,
    acquireTimeoutMs,
    logger: () => slot.logger,
    observer: () => slot.observer,
    onFailure,
    idleCount: handle.idleCount,
    close: handle.close,
  });
  const log = (event: LogEvent): void => {
    if (event.level === 'query') {
      slot.observer?.onQuery?.(event.queryDurationMillis / 1000);
      availability.ok();
    } else {
      slot.observer?.onError?.();
      markEngineError(event.error);
      if (isDbOutage(event.error)) availability.failed(event.error);
      slot.logger?.debug(
        { err: { message: describeError(event.error, target.secrets), code: errorCodeOf(event.error) } },
        'database query failed',
      );
    }
  };
  const db = new Kysely<DB>({ dialect: guardedDialect(handle, guard), log });
  const ping = healthPing(mod, target, handle, healthTimeoutMs, onPoolError, (error) =>
    availability.failed(error),
  );

  const database = databaseCheck(db, guard, ping, availability, target);

  const engine: DbEngine<DB> = Object.freeze({
    db,
    check: database,
    dispose: () => Promise.all([guard.destroy(), ping.close()]).then(() => undefined),
    kind: target.kind,
    target: target.display,
    poolStats: () => guard.stats(),
  });
  slots.set(engine, slot);
  return engine;
}

interface HealthPing {
  /** `SELECT 1` within the health bound; rejects with the failure. */
  run(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The health check's own path to the database, so a saturated or stuck application pool never delays or fails
 * readiness: a dedicated one-connection pool (opened on the first check) whose acquisition and statement are
 * both bounded by `healthTimeoutMs`. Pglite has a single embedded connection: the ping goes to it directly,
 * bypassing the driver's queue that a long transaction holds, under the same bound.
 */
function healthPing(
  mod: unknown,
  target: DbTarget,
  appHandle: PoolHandle,
  healthTimeoutMs: number,
  onPoolError: PoolErrorHandler,
  onFailure: (error: DbError) => void,
): HealthPing {
  if (appHandle.ping !== undefined) {
    const ping = appHandle.ping;
    return { run: () => ping(healthTimeoutMs), close: async () => {} };
  }
  let kysely: Kysely<unknown> | undefined;
  let guard: GuardedDriver | undefined;
  return {
    run: () => {
      if (kysely === undefined) {
        const healthTarget: DbTarget = { ...target, poolMax: 1 };
        const handle = createPoolHandle(
          mod,
          healthTarget,
          {
            acquireMs: healthTimeoutMs,
            statementMs: healthTimeoutMs,
            statementLabel: 'the health check bound',
          },
          onPoolError,
        );
        guard = new GuardedDriver(handle.dialect.createDriver(), {
          display: target.display,
          secrets: target.secrets,
          poolMax: 1,
          acquireTimeoutMs: healthTimeoutMs,
          logger: () => undefined,
          observer: () => undefined,
          onFailure,
          idleCount: handle.idleCount,
          close: handle.close,
        });
        kysely = new Kysely<unknown>({ dialect: guardedDialect(handle, guard) });
      }
      return kysely.executeQuery(PING).then(() => undefined);
    },
    close: () => guard?.destroy() ?? Promise.resolve(),
  };
}
