import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  MysqlDialect,
  type MysqlPool,
  type MysqlPoolConnection,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
} from 'kysely';
import { DbError } from '../errors.js';
import { PgliteDialect, type PgliteLike } from './pglite-dialect.js';
import { isServerStatementTimeout, statementTimeoutError } from './scrub.js';
import type { DbTarget } from './target.js';

/** How long the pool waits for a connection, and how long one statement may run (0 = unbounded). */
export interface PoolTimeouts {
  readonly acquireMs: number;
  readonly statementMs: number;
  /** Names the bound in the timeout message: the setting, or the health check's own bound. */
  readonly statementLabel: string;
}

/**
 * The server cancels a statement at `statementMs` with its own error; the client-side deadline is a backstop
 * for a server (or network) that stopped answering, so it fires a little later, after the server had its
 * chance to cancel cleanly and keep the connection usable.
 */
const CLIENT_GRACE_MS = 1000;

/** A dialect plus what the guard needs to watch and close its pool. */
export interface PoolHandle {
  readonly dialect: Dialect;
  readonly close: () => Promise<void>;
  readonly idleCount: (used: number) => number;
  /** Pglite only: `SELECT 1` straight on the embedded database, bypassing the driver's queue, within `ms`. */
  readonly ping?: (ms: number) => Promise<void>;
}

/** Called for errors raised by idle connections (server restart, killed backend): logged, never thrown. */
export type PoolErrorHandler = (error: unknown) => void;

interface EventSource {
  on(event: string, listener: (...args: never[]) => void): unknown;
}

type PgPoolLike = PostgresPool & EventSource & { readonly idleCount: number };
type PgModule = { Pool: new (config: Record<string, unknown>) => PgPoolLike };
type MysqlPoolLike = MysqlPool & EventSource & { readonly _freeConnections?: { readonly length: number } };
type MysqlModule = { createPool: (config: Record<string, unknown>) => MysqlPoolLike };
type PgliteModule = { PGlite: new (dataDir?: string) => PgliteLike };

function member<T>(mod: unknown, name: string, driver: string): T {
  const value = (mod as Record<string, unknown> | null)?.[name];
  if (typeof value !== 'function') {
    throw new DbError(
      'ERR_DB_DRIVER_MISSING',
      `The installed ${driver} package has no ${name}; reinstall it: npm install ${driver}`,
    );
  }
  return value as T;
}

/**
 * Rejects with `onTimeout()` when `work` has not settled within `ms`; a later settlement is ignored (its
 * rejection handled). `onLate` runs when the deadline fired, so the caller can retire the connection.
 */
function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  onTimeout: () => unknown,
  onLate?: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      onLate?.();
      reject(onTimeout());
    }, ms);
    work.then(
      (value) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * PGlite runs in this thread: PostgreSQL's own `statement_timeout` never fires there, and a statement that
 * computes blocks the event loop until it ends. The deadline bounds what waits asynchronously (a query queued
 * behind PGlite's internal lock, a slow file system under `PGLITE_DATA_DIR`).
 */
function pgliteWithDeadline(pg: PgliteLike, ms: number, label: string, display: string): PgliteLike {
  if (ms === 0) return pg;
  return {
    get waitReady() {
      return pg.waitReady;
    },
    get closed() {
      return pg.closed;
    },
    query: (text, params, options) =>
      withDeadline(pg.query(text, params, options), ms, () => statementTimeoutError(ms, label, display)),
    close: () => pg.close(),
  };
}

// in_failed_sql_transaction: the ping ran between the statements of another caller's failed transaction on
// the single embedded connection; the database did answer.
const PG_IN_FAILED_TRANSACTION = '25P02';

function pgliteHandle(mod: unknown, target: DbTarget, timeouts: PoolTimeouts): PoolHandle {
  const PGlite = member<PgliteModule['PGlite']>(mod, 'PGlite', '@electric-sql/pglite');
  const pg = target.dataDir === undefined ? new PGlite() : new PGlite(target.dataDir);
  // A failed start surfaces through the driver's init(); never as an unhandled rejection.
  pg.waitReady.catch(() => {});
  return {
    dialect: new PgliteDialect(
      pgliteWithDeadline(pg, timeouts.statementMs, timeouts.statementLabel, target.display),
    ),
    // Start-up (initdb of a new database: seconds) is not part of the bound, as for the first query; the
    // health runner's own timeout still reports a database that is not up yet.
    ping: (ms) =>
      pg.waitReady.then(() =>
        withDeadline(
          pg.query('select 1').then(
            () => undefined,
            (error: unknown) => {
              if ((error as { code?: unknown } | null)?.code !== PG_IN_FAILED_TRANSACTION) throw error;
            },
          ),
          ms,
          () => statementTimeoutError(ms, 'the health check bound', target.display),
        ),
      ),
    close: async () => {
      if (!pg.closed) await pg.close();
    },
    idleCount: (used) => (used > 0 ? 0 : 1),
  };
}

type PgClient = PostgresPoolClient & { release(destroy?: boolean): void };

/**
 * A pg pool whose clients bound each query: the server's `statement_timeout` error becomes
 * `ERR_DB_STATEMENT_TIMEOUT`, and when the server does not answer even that, the client-side deadline rejects
 * and the client is destroyed on release (it may still be busy) instead of going back to the pool.
 */
function pgPoolWithDeadline(pool: PostgresPool, ms: number, label: string, display: string): PostgresPool {
  if (ms === 0) return pool;
  // kysely keeps one connection object per client (a WeakMap): hand it the same wrapper every time.
  const wrappers = new WeakMap<PostgresPoolClient, PostgresPoolClient>();
  const timeout = () => statementTimeoutError(ms, label, display);
  const wrap = (client: PgClient): PostgresPoolClient => {
    let broken = false;
    const wrapper = {
      query(first: unknown, parameters?: ReadonlyArray<unknown>): unknown {
        // A cursor (streaming) is handed through: it is read chunk by chunk under the server's timeout.
        if (typeof first !== 'string') return (client.query as (c: unknown) => unknown)(first);
        const work = client.query(first, parameters ?? []).catch((error: unknown) => {
          throw isServerStatementTimeout(error) ? timeout() : error;
        });
        return withDeadline(work, ms + CLIENT_GRACE_MS, timeout, () => {
          broken = true;
        });
      },
      release() {
        // pg-pool destroys a client released with a truthy argument.
        client.release(broken ? true : undefined);
      },
    };
    return wrapper as unknown as PostgresPoolClient;
  };
  return {
    connect: async () => {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (wrapper === undefined) {
        wrapper = wrap(client as PgClient);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}

function pgHandle(
  mod: unknown,
  target: DbTarget,
  timeouts: PoolTimeouts,
  onError: PoolErrorHandler,
): PoolHandle {
  const Pool = member<PgModule['Pool']>(mod, 'Pool', 'pg');
  const timeoutMs = timeouts.acquireMs;
  const base = {
    max: target.poolMax,
    // The guard's own timer (timeoutMs) decides; pg's is a backstop that also drops the abandoned waiter.
    connectionTimeoutMillis: timeoutMs + 1000,
    idleTimeoutMillis: 30_000,
    // Sent at connection start-up: the server cancels longer statements itself (SQLSTATE 57014).
    ...(timeouts.statementMs > 0 ? { statement_timeout: timeouts.statementMs } : {}),
  };
  const pool = new Pool(
    target.url !== undefined
      ? { ...base, connectionString: target.url }
      : {
          ...base,
          host: target.host,
          port: target.port,
          user: target.user,
          password: target.password,
          database: target.database,
        },
  );
  // pg emits `error` on a client whose connection ends (server restart, pg_terminate_backend). pg-pool only
  // listens while the client is idle; a checked-out client with no listener crashes the process. So every
  // client gets a listener for life, which reports the failure once; the pool's own `error` event (the
  // same failure seen while idle) must still have a listener and is otherwise ignored.
  pool.on('connect', (client: EventSource) => {
    client.on('error', onError);
  });
  pool.on('error', () => {});
  return {
    dialect: new PostgresDialect({
      pool: pgPoolWithDeadline(pool, timeouts.statementMs, timeouts.statementLabel, target.display),
    }),
    close: () => pool.end(),
    idleCount: () => pool.idleCount,
  };
}

type MysqlRawConnection = MysqlPoolConnection & { destroy(): void };
type MysqlCallback = (error: unknown, result: unknown) => void;

/**
 * A mysql2 pool whose connections bound each callback query like {@link pgPoolWithDeadline}: mysql2 has no
 * per-pool query timeout, so the deadline is ours, and a connection that missed it is destroyed on release.
 */
function mysqlPoolWithDeadline(pool: MysqlPool, ms: number, label: string, display: string): MysqlPool {
  if (ms === 0) return pool;
  const wrappers = new WeakMap<MysqlPoolConnection, MysqlPoolConnection>();
  const timeout = () => statementTimeoutError(ms, label, display);
  const wrap = (raw: MysqlRawConnection): MysqlPoolConnection => {
    let broken = false;
    const query = raw.query.bind(raw) as (...args: unknown[]) => unknown;
    const wrapper = {
      query(text: string, parameters: unknown[], callback?: MysqlCallback): unknown {
        // Without a callback kysely streams: handed through under the server's own timeout.
        if (callback === undefined) return query(text, parameters);
        const work = new Promise<unknown>((resolve, reject) => {
          query(text, parameters, (error: unknown, result: unknown) =>
            error ? reject(error) : resolve(result),
          );
        }).catch((error: unknown) => {
          throw isServerStatementTimeout(error) ? timeout() : error;
        });
        withDeadline(work, ms + CLIENT_GRACE_MS, timeout, () => {
          broken = true;
        }).then(
          (result) => callback(null, result),
          (error: unknown) => callback(error, undefined),
        );
        return undefined;
      },
      release() {
        if (broken) raw.destroy();
        else raw.release();
      },
    };
    return wrapper as unknown as MysqlPoolConnection;
  };
  return {
    getConnection(callback) {
      pool.getConnection((error, raw) => {
        if (error) {
          callback(error, raw);
          return;
        }
        let wrapper = wrappers.get(raw);
        if (wrapper === undefined) {
          wrapper = wrap(raw as MysqlRawConnection);
          wrappers.set(raw, wrapper);
        }
        callback(null, wrapper);
      });
    },
    end: (callback) => pool.end(callback),
  };
}

/**
 * Asks the server to cancel long statements itself: MariaDB's `max_statement_time` (seconds, every statement),
 * else MySQL's `max_execution_time` (milliseconds, SELECT only). Neither known: the client deadline remains.
 */
async function setMysqlStatementTimeout(connection: DatabaseConnection, ms: number): Promise<void> {
  try {
    await connection.executeQuery(CompiledQuery.raw(`set session max_statement_time = ${ms / 1000}`));
  } catch {
    try {
      await connection.executeQuery(CompiledQuery.raw(`set session max_execution_time = ${ms}`));
    } catch {
      // neither variable exists on this server: the client-side deadline still applies
    }
  }
}

function mysqlHandle(
  mod: unknown,
  target: DbTarget,
  timeouts: PoolTimeouts,
  onError: PoolErrorHandler,
): PoolHandle {
  const createPool = member<MysqlModule['createPool']>(mod, 'createPool', 'mysql2');
  const timeoutMs = timeouts.acquireMs;
  const base = {
    connectionLimit: target.poolMax,
    maxIdle: target.poolMax,
    idleTimeout: 30_000,
    waitForConnections: true,
    queueLimit: 0,
    connectTimeout: timeoutMs + 1000,
    enableKeepAlive: true,
  };
  const pool = createPool(
    target.url !== undefined
      ? { ...base, uri: target.url }
      : {
          ...base,
          host: target.host,
          port: target.port,
          user: target.user,
          password: target.password,
          database: target.database,
        },
  );
  // mysql2 drops a broken pooled connection itself; listen so the failure is logged and counted.
  pool.on('connection', (connection: EventSource) => {
    connection.on('error', onError);
  });
  pool.on('error', onError);
  const statementMs = timeouts.statementMs;
  return {
    dialect: new MysqlDialect({
      pool: mysqlPoolWithDeadline(pool, statementMs, timeouts.statementLabel, target.display),
      ...(statementMs > 0
        ? { onCreateConnection: (connection) => setMysqlStatementTimeout(connection, statementMs) }
        : {}),
    }),
    close: () =>
      new Promise<void>((resolve, reject) => pool.end((error) => (error ? reject(error) : resolve()))),
    idleCount: () => pool._freeConnections?.length ?? 0,
  };
}

/** Builds the driver-specific pool and kysely dialect for the target. */
export function createPoolHandle(
  mod: unknown,
  target: DbTarget,
  timeouts: PoolTimeouts,
  onError: PoolErrorHandler,
): PoolHandle {
  switch (target.kind) {
    case 'Pglite':
      return pgliteHandle(mod, target, timeouts);
    case 'Postgres':
      return pgHandle(mod, target, timeouts, onError);
    case 'Mysql':
      return mysqlHandle(mod, target, timeouts, onError);
  }
}
