import { DbError, type ErrorCode } from '../errors.js';
import { maskKnownSecrets, scrubText as scrubSharedText } from '../redaction/index.js';

/**
 * Removes credentials from a text: every known secret (the configured password, the raw URL) becomes `***`,
 * then the shared scrubber masks URL userinfo, `password=`-style pairs, bearer tokens and JWTs.
 */
export function scrubText(text: string, secrets: readonly string[]): string {
  return scrubSharedText(maskKnownSecrets(text, secrets));
}

function driverCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

// SQLSTATE / mysql codes meaning "this will not get better by retrying": the credentials or the database name.
const AUTH_CODES = new Set(['28P01', '28000', 'ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR']);
const UNKNOWN_DB_CODES = new Set(['3D000', 'ER_BAD_DB_ERROR']);

/** Codes of failures that retrying will not fix (the CLI's `prestart` exits 2 on them). */
export const PERMANENT_DB_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_DB_AUTH_FAILED',
  'ERR_DB_UNKNOWN_DATABASE',
  'ERR_DB_DRIVER_MISSING',
  'ERR_COMPAT_DRIVER',
]);

/**
 * Wraps a driver error raised while obtaining a connection into a {@link DbError} whose message names the
 * (redacted) target and the driver's reason, scrubbed. The original is kept as `cause`.
 */
export function toConnectionError(error: unknown, display: string, secrets: readonly string[]): DbError {
  if (error instanceof DbError) return error;
  const code = driverCode(error);
  const reason = scrubText(messageOf(error), secrets);
  const suffix = code === undefined ? '' : ` (${code})`;
  let errCode: ErrorCode = 'ERR_DB_CONNECTION';
  let lead = 'Could not connect to';
  if (code !== undefined && AUTH_CODES.has(code)) {
    errCode = 'ERR_DB_AUTH_FAILED';
    lead = 'The database rejected the credentials for';
  } else if (code !== undefined && UNKNOWN_DB_CODES.has(code)) {
    errCode = 'ERR_DB_UNKNOWN_DATABASE';
    lead = 'The database does not exist at';
  }
  return new DbError(errCode, `${lead} ${display}: ${reason}${suffix}`, {
    cause: scrubCause(error, secrets),
  });
}

/**
 * The cause kept on our errors: the driver error itself unless its message carries a secret, in which case a
 * plain copy with the scrubbed message and the driver code.
 */
function scrubCause(error: unknown, secrets: readonly string[]): unknown {
  if (!(error instanceof Error)) return undefined;
  const clean = scrubText(error.message, secrets);
  if (clean === error.message) return error;
  const copy = new Error(clean);
  const code = driverCode(error);
  if (code !== undefined) Object.assign(copy, { code });
  return copy;
}

// PostgreSQL's query_canceled is also a user's own pg_cancel_backend: only the statement_timeout text counts.
const PG_QUERY_CANCELED = '57014';
// MariaDB ER_STATEMENT_TIMEOUT (max_statement_time) and MySQL ER_QUERY_TIMEOUT (max_execution_time).
const MYSQL_TIMEOUT_ERRNOS = new Set([1969, 3024]);

/** True for the server's own "statement ran past its timeout" error (PostgreSQL, MariaDB, MySQL). */
export function isServerStatementTimeout(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errno, message } = error as { code?: unknown; errno?: unknown; message?: unknown };
  if (code === PG_QUERY_CANCELED) return typeof message === 'string' && message.includes('statement timeout');
  return typeof errno === 'number' && MYSQL_TIMEOUT_ERRNOS.has(errno);
}

/** The error a query gets when it ran past its bound (`label`: `DB_STATEMENT_TIMEOUT_MS` or the health bound). */
export function statementTimeoutError(ms: number, label: string, display: string): DbError {
  return new DbError(
    'ERR_DB_STATEMENT_TIMEOUT',
    `The query ran longer than ${ms} ms (${label}) on ${display} and was cancelled`,
  );
}

/** A short, scrubbed description of any error, for logs and health output. */
export function describeError(error: unknown, secrets: readonly string[]): string {
  return scrubText(messageOf(error), secrets);
}

/** The stable code of an error: our `ErrorCode` for a DbError, else the driver's code, else undefined. */
export function errorCodeOf(error: unknown): string | undefined {
  return driverCode(error);
}
