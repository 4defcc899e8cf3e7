import { type Dialect, MysqlDialect, type MysqlPool, PostgresDialect, type PostgresPool } from 'kysely';
import { DbError } from '../errors.js';
import { PgliteDialect, type PgliteLike } from './pglite-dialect.js';
import type { DbTarget } from './target.js';

/** A dialect plus what the guard needs to watch and close its pool. */
export interface PoolHandle {
  readonly dialect: Dialect;
  readonly close: () => Promise<void>;
  readonly idleCount: (used: number) => number;
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

function pgliteHandle(mod: unknown, target: DbTarget): PoolHandle {
  const PGlite = member<PgliteModule['PGlite']>(mod, 'PGlite', '@electric-sql/pglite');
  const pg = target.dataDir === undefined ? new PGlite() : new PGlite(target.dataDir);
  // A failed start surfaces through the driver's init(); never as an unhandled rejection.
  pg.waitReady.catch(() => {});
  return {
    dialect: new PgliteDialect(pg),
    close: async () => {
      if (!pg.closed) await pg.close();
    },
    idleCount: (used) => (used > 0 ? 0 : 1),
  };
}

function pgHandle(mod: unknown, target: DbTarget, timeoutMs: number, onError: PoolErrorHandler): PoolHandle {
  const Pool = member<PgModule['Pool']>(mod, 'Pool', 'pg');
  const base = {
    max: target.poolMax,
    // The guard's own timer (timeoutMs) decides; pg's is a backstop that also drops the abandoned waiter.
    connectionTimeoutMillis: timeoutMs + 1000,
    idleTimeoutMillis: 30_000,
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
    dialect: new PostgresDialect({ pool }),
    close: () => pool.end(),
    idleCount: () => pool.idleCount,
  };
}

function mysqlHandle(
  mod: unknown,
  target: DbTarget,
  timeoutMs: number,
  onError: PoolErrorHandler,
): PoolHandle {
  const createPool = member<MysqlModule['createPool']>(mod, 'createPool', 'mysql2');
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
  return {
    dialect: new MysqlDialect({ pool }),
    close: () =>
      new Promise<void>((resolve, reject) => pool.end((error) => (error ? reject(error) : resolve()))),
    idleCount: () => pool._freeConnections?.length ?? 0,
  };
}

/** Builds the driver-specific pool and kysely dialect for the target. */
export function createPoolHandle(
  mod: unknown,
  target: DbTarget,
  timeoutMs: number,
  onError: PoolErrorHandler,
): PoolHandle {
  switch (target.kind) {
    case 'Pglite':
      return pgliteHandle(mod, target);
    case 'Postgres':
      return pgHandle(mod, target, timeoutMs, onError);
    case 'Mysql':
      return mysqlHandle(mod, target, timeoutMs, onError);
  }
}
