import type { DatabaseConnection, Driver, QueryCompiler, TransactionSettings } from 'kysely';
import { DbError } from '../errors.js';
import { describeError, toConnectionError } from './scrub.js';
import type { DbLogger, DbObserver, DbPoolStats } from './types.js';

/** What the guard needs to know about the pool it fronts. */
export interface GuardConfig {
  readonly display: string;
  readonly secrets: readonly string[];
  readonly poolMax: number;
  readonly acquireTimeoutMs: number;
  /** Read at each event so a logger attached later is honoured. */
  readonly logger: () => DbLogger | undefined;
  /** Told of every failed connection attempt (already counted for metrics); it decides what to log. */
  readonly onFailure: (error: DbError) => void;
  /** Read at each event so an observer set later is honoured. */
  readonly observer: () => DbObserver | undefined;
  /** Idle connections held by the pool. */
  readonly idleCount: (used: number) => number;
  /** Ends the pool or closes the embedded database; called at most once. */
  readonly close: () => Promise<void>;
}

/**
 * Wraps a kysely {@link Driver} with what the drivers lack or do differently: a bounded wait for a
 * connection (mysql2 has none), one error type for connection failures (scrubbed), usage counts for
 * metrics, and a disposed state that rejects with `ERR_DB_DISPOSED` instead of kysely's plain Error.
 */
export class GuardedDriver implements Driver {
  readonly #inner: Driver;
  readonly #config: GuardConfig;
  #used = 0;
  #waiting = 0;
  #disposed = false;
  #closing: Promise<void> | undefined;

  constructor(inner: Driver, config: GuardConfig) {
    this.#inner = inner;
    this.#config = config;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  stats(): DbPoolStats {
    return {
      idle: this.#disposed ? 0 : this.#config.idleCount(this.#used),
      used: this.#used,
      waiting: this.#waiting,
    };
  }

  async init(): Promise<void> {
    this.#assertOpen();
    try {
      await this.#inner.init();
    } catch (error) {
      throw this.#failed(error);
    }
  }

  acquireConnection(): Promise<DatabaseConnection> {
    this.#assertOpen();
    const { acquireTimeoutMs, poolMax, display } = this.#config;
    this.#waiting++;
    return new Promise<DatabaseConnection>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        this.#waiting--;
        const saturated = this.#used >= poolMax;
        const error = saturated
          ? new DbError(
              'ERR_DB_POOL_TIMEOUT',
              `No database connection became free within ${acquireTimeoutMs} ms ` +
                `(DB_POOL_MAX=${poolMax}, ${this.#used} in use, ${this.#waiting} more waiting) for ${display}`,
            )
          : new DbError(
              'ERR_DB_CONNECTION',
              `Connecting to ${display} timed out after ${acquireTimeoutMs} ms`,
            );
        reject(this.#failed(error));
      }, acquireTimeoutMs);
      timer.unref();
      this.#inner.acquireConnection().then(
        (connection) => {
          if (settled || this.#disposed) {
            // The caller gave up (or the engine closed) meanwhile: hand the connection straight back.
            if (!settled) {
              settled = true;
              clearTimeout(timer);
              this.#waiting--;
              reject(this.#disposedError());
            }
            this.#inner.releaseConnection(connection).catch(() => {});
            return;
          }
          settled = true;
          clearTimeout(timer);
          this.#waiting--;
          this.#used++;
          resolve(connection);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.#waiting--;
          reject(this.#disposed ? this.#disposedError() : this.#failed(error));
        },
      );
    });
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.#inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.rollbackTransaction(connection);
  }

  savepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    if (!this.#inner.savepoint) throw new TypeError('savepoints are not supported by this driver');
    return this.#inner.savepoint(connection, name, compile);
  }

  rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    if (!this.#inner.rollbackToSavepoint) throw new TypeError('savepoints are not supported by this driver');
    return this.#inner.rollbackToSavepoint(connection, name, compile);
  }

  releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    if (!this.#inner.releaseSavepoint) throw new TypeError('savepoints are not supported by this driver');
    return this.#inner.releaseSavepoint(connection, name, compile);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.#used = Math.max(0, this.#used - 1);
    // Released even after dispose: pg's pool.end() resolves only once every client is back.
    await this.#inner.releaseConnection(connection);
  }

  /** Idempotent: the first call closes the pool, later calls wait for that same close. */
  destroy(): Promise<void> {
    this.#disposed = true;
    this.#closing ??= this.#config.close().catch((error: unknown) => {
      this.#config
        .logger()
        ?.warn(
          { err: { message: describeError(error, this.#config.secrets) } },
          `closing ${this.#config.display} failed`,
        );
    });
    return this.#closing;
  }

  #assertOpen(): void {
    if (this.#disposed) throw this.#disposedError();
  }

  #disposedError(): DbError {
    return new DbError('ERR_DB_DISPOSED', `The database engine for ${this.#config.display} was disposed`);
  }

  #failed(error: unknown): DbError {
    const { display, secrets } = this.#config;
    const dbError = toConnectionError(error, display, secrets);
    this.#config.observer()?.onError?.();
    this.#config.onFailure(dbError);
    return dbError;
  }
}
