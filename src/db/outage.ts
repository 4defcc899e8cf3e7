import { DbError, M8Error } from '../errors.js';

/**
 * Codes meaning "the database is away or overloaded right now; the same request will work later": ours, the
 * socket's, PostgreSQL's SQLSTATEs (class 08 connection exception, 53300 too many connections, 57P01-57P03
 * shutdown/restart) and mysql2's. SQL errors, bad credentials and unknown databases are not outages.
 */
const OUTAGE_CODES: ReadonlySet<string> = new Set([
  'ERR_DB_CONNECTION',
  'ERR_DB_POOL_TIMEOUT',
  'ERR_DB_STATEMENT_TIMEOUT',
  'ERR_DB_UNAVAILABLE',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300',
  '57P01',
  '57P02',
  '57P03',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_CONNECTION_KILLED',
]);

// pg reports a connection lost mid-query with a plain Error and no code.
const PG_LOST = /^Connection terminated|^Client has encountered a connection error/;

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/**
 * True when `error` says the database is unavailable (unreachable, connection refused or reset, pool
 * exhausted, statement timeout, server shutting down), as opposed to a bug or a bad query. A driver error is
 * also recognised one `cause` deep; our own errors are judged by their code alone.
 */
export function isDbOutage(error: unknown): boolean {
  if (error instanceof M8Error) return OUTAGE_CODES.has(error.code);
  for (let e = error, depth = 0; depth < 2 && typeof e === 'object' && e !== null; depth++) {
    const code = codeOf(e);
    if (typeof code === 'string' && OUTAGE_CODES.has(code)) return true;
    const message = (e as { message?: unknown }).message;
    if (code === undefined && typeof message === 'string' && PG_LOST.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Driver errors a `DbEngine` saw (its query log hook): only these may be read as database outages upstream. */
const engineErrors = new WeakSet<object>();

/** Records that a `DbEngine` query failed with `error` (called by the engine's kysely log hook). */
export function markEngineError(error: unknown): void {
  if (typeof error === 'object' && error !== null) engineErrors.add(error);
}

/**
 * True when `error` is a database outage that came from a `DbEngine`: one of our `DbError`s with an outage code,
 * or a driver error the engine saw. `ECONNRESET` from another client (an HTTP call, a cache) is not a
 * database outage: such errors stay 500 and are logged in full.
 */
export function isEngineOutage(error: unknown): boolean {
  if (error instanceof M8Error) return error instanceof DbError && OUTAGE_CODES.has(error.code);
  return typeof error === 'object' && error !== null && engineErrors.has(error) && isDbOutage(error);
}
