/**
 * Every error express-m8 throws or answers with carries a stable `code` from {@link ErrorCode}.
 * Codes never change meaning; `docs/errors.md` lists each one and a test keeps the two equal.
 */

/** The table of codes: the single source for the `ErrorCode` union and `docs/errors.md`. */
export const ERROR_CODES = {
  // settings
  ERR_SETTINGS_INVALID:
    'One or more settings are missing or invalid; the message lists each by variable name.',
  // compatibility
  ERR_COMPAT_NODE: 'The running Node.js version is outside the supported range.',
  ERR_COMPAT_EXPRESS: 'The installed express version is outside the supported range, or express is missing.',
  ERR_COMPAT_DRIVER: 'An installed database driver is outside the supported range.',
  // authentication
  ERR_AUTH_MISSING_TOKEN: 'No bearer token was sent (401).',
  ERR_AUTH_INVALID_TOKEN:
    'The token is malformed, badly signed, or its header or claims are not acceptable (401).',
  ERR_AUTH_TOKEN_EXPIRED: 'The token is past its `exp` (401).',
  ERR_AUTH_TOKEN_REVOKED: 'The issuer reports the token as revoked (401).',
  ERR_AUTH_MULTIPLE_AUTHORIZATION: 'The request carries more than one Authorization header (400).',
  ERR_AUTH_REVOCATION_UNAVAILABLE: 'The revocation check could not be completed (503).',
  ERR_AUTH_KEYS_UNAVAILABLE: 'No signing key could be obtained to verify the token (503).',
  ERR_AUTH_INACTIVE_USER: 'The token belongs to an inactive user (403).',
  ERR_AUTH_INSUFFICIENT_ROLE: 'The user role is below the one the route requires (403).',
  ERR_AUTH_INVALID_API_KEY: 'The X-API-Key is malformed, unknown, expired or revoked (401).',
  ERR_AUTH_AMBIGUOUS_CREDENTIALS:
    'The request carries both an Authorization header and an X-API-Key header, or two X-API-Key headers (400).',
  ERR_AUTH_API_KEY_UNAVAILABLE:
    'The API key could not be checked: key store or issuer unreachable, or an unusable issuer reply (503).',
  ERR_AUTH_API_KEY_RATE_LIMITED: 'The issuer rate-limited API key checks; retry after Retry-After (429).',
  ERR_AUTH_INSUFFICIENT_SCOPE:
    'The token lacks a scope the route requires, or fails its claim check (403, `insufficient_scope`).',
  // database
  ERR_DB_DRIVER_MISSING:
    'The driver for SELECTED_DB is not installed; the message names the npm install command.',
  ERR_DB_CONNECTION: 'The database could not be reached or refused the connection.',
  ERR_DB_POOL_TIMEOUT: 'No pooled connection became free within the acquisition timeout.',
  ERR_DB_QUERY: 'A query failed.',
  ERR_DB_DISPOSED: 'The engine was used after dispose().',
  ERR_DB_AUTH_FAILED: 'The database rejected the user or password (permanent; the password is never shown).',
  ERR_DB_UNKNOWN_DATABASE: 'The database named by DB_DATABASE / DATABASE_URL does not exist (permanent).',
  ERR_DB_STATEMENT_TIMEOUT: 'A query ran longer than DB_STATEMENT_TIMEOUT_MS and was cancelled.',
  ERR_DB_UNAVAILABLE:
    'The database is unreachable, overloaded or shutting down; answered 503 with Retry-After (retry later).',
  // lifecycle
  ERR_LIFECYCLE_STARTUP: 'A startup step (validator, lifespan extra) failed; the app did not become ready.',
  ERR_LIFECYCLE_SHUTDOWN_TIMEOUT: 'Graceful shutdown did not finish within SHUTDOWN_TIMEOUT_SECONDS.',
  ERR_LIFECYCLE_TEARDOWN: 'One or more teardown steps threw; all steps still ran.',
  // HTTP surface
  ERR_HTTP_NOT_FOUND: 'No route matches the request (404).',
  ERR_HTTP_BAD_REQUEST: 'The request body could not be parsed, or failed validation (400).',
  ERR_HTTP_INVALID_HOST:
    "The Host header is malformed, repeated, differs from the request target's authority, or is not in ALLOWED_HOSTS (400).",
  ERR_HTTP_PAYLOAD_TOO_LARGE: 'The request body exceeds the configured limit (413).',
  ERR_HTTP_UNSUPPORTED_MEDIA_TYPE: 'The request body encoding or charset is not supported (415).',
  ERR_HTTP_CLIENT_ERROR: 'Another 4xx raised by Express or a middleware (http-errors); its status is kept.',
  ERR_HTTP_INTERNAL: 'An unhandled error; details are logged server-side only (500).',
  ERR_HTTP_NOT_IMPLEMENTED: 'An optional feature is not installed, e.g. docs UI packages (501).',
  ERR_HTTP_UNAVAILABLE: 'The service is starting or shutting down (503).',
  ERR_HTTP_BODY_BUDGET_EXHAUSTED:
    'Too many request body bytes are being read at once (createApp option maxBodyBytesInFlight, default 16 MiB); retry after Retry-After (503).',
  // route contracts
  ERR_VALIDATION:
    'The request failed its route contract; the `errors` member lists each failing field by part and path (400).',
  ERR_CONTRACT_SPEC:
    'contract(spec) was given a part or response that is not a zod 4 schema, or a schema with an async refinement (contracts validate synchronously).',
  ERR_METRICS_UNAUTHORIZED: 'The /metrics scrape credential is missing or wrong (401).',
} as const;

/** A stable, documented error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * A code an {@link HttpError} may carry: one of ours, or the consumer's own (`^ERR_[A-Z0-9_]+$`).
 * @example
 * const code: HttpErrorCode = 'ERR_ORDER_CLOSED';
 */
export type HttpErrorCode = ErrorCode | `ERR_${string}`;

/** Base class of every express-m8 error; `C` is wider than {@link ErrorCode} only for {@link HttpError}. */
export class M8Error<C extends HttpErrorCode = ErrorCode> extends Error {
  /** The stable code of this error; see `docs/errors.md`. */
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** One problem found in the settings. */
export interface SettingsIssue {
  /** The env variable (or extended field) at fault. */
  readonly variable: string;
  /** What was expected and what arrived, never a secret's value. */
  readonly message: string;
}

/**
 * Thrown by `loadSettings` (and by factories that validate settings) with every problem at once.
 * @example
 * try { loadSettings() } catch (e) { if (e instanceof SettingsError) console.error(e.issues) }
 */
export class SettingsError extends M8Error {
  readonly issues: readonly SettingsIssue[];

  constructor(issues: readonly SettingsIssue[], options?: { cause?: unknown }) {
    const lines = issues.map((i) => `  - ${i.variable}: ${i.message}`);
    super(
      'ERR_SETTINGS_INVALID',
      `Invalid settings (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
      options,
    );
    this.issues = Object.freeze([...issues]);
  }
}

/** Thrown at import (or when a driver loads) when an installed version is unsupported. */
export class CompatError extends M8Error {}

/** An authentication or authorization failure; `status` is the HTTP status it answers with. */
export class AuthError extends M8Error {
  readonly status: number;

  constructor(code: ErrorCode, status: number, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = status;
  }
}

/** A database failure; the message never contains credentials. */
export class DbError extends M8Error {}

/** A startup or shutdown failure. */
export class LifecycleError extends M8Error {}

/** Options of {@link HttpError}. */
export interface HttpErrorOptions {
  /** The `code` member: ours or your own `ERR_…` code; default the built-in code of the status. */
  readonly code?: HttpErrorCode;
  /** Extra response headers, e.g. `Retry-After` or `Location`. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Extension members of the problem body (RFC 9457 §3.2), JSON values. They cannot replace `type`, `title`,
   * `status`, `detail`, `instance` or `code`.
   */
  readonly extensions?: Readonly<Record<string, unknown>>;
  /** The underlying error, kept as `cause` (logged for 5xx, never sent). */
  readonly cause?: unknown;
}

const CODE_PATTERN = /^ERR_[A-Z0-9_]+$/;
/** Problem members an extension must not replace: the RFC 9457 ones plus our `code`. */
const RESERVED_MEMBERS: ReadonlySet<string> = new Set([
  'type',
  'title',
  'status',
  'detail',
  'instance',
  'code',
]);
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const BAD_HEADER_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The built-in code of a status when the caller gives none. */
function defaultCode(status: number): ErrorCode {
  const byStatus: Readonly<Record<number, ErrorCode>> = {
    400: 'ERR_HTTP_BAD_REQUEST',
    404: 'ERR_HTTP_NOT_FOUND',
    413: 'ERR_HTTP_PAYLOAD_TOO_LARGE',
    415: 'ERR_HTTP_UNSUPPORTED_MEDIA_TYPE',
    500: 'ERR_HTTP_INTERNAL',
    501: 'ERR_HTTP_NOT_IMPLEMENTED',
    503: 'ERR_HTTP_UNAVAILABLE',
  };
  return byStatus[status] ?? (status < 500 ? 'ERR_HTTP_CLIENT_ERROR' : 'ERR_HTTP_INTERNAL');
}

/** Checks the constructor arguments of an HttpError; throws a TypeError naming the bad one. */
function checkHttpErrorArgs(status: number, options: HttpErrorOptions): void {
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new TypeError(`HttpError status must be an integer from 400 to 599 (got ${String(status)})`);
  }
  const { code, headers, extensions } = options;
  if (code !== undefined && (typeof code !== 'string' || !CODE_PATTERN.test(code))) {
    throw new TypeError(`HttpError code must match ^ERR_[A-Z0-9_]+$ (got ${JSON.stringify(code)})`);
  }
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!HEADER_NAME.test(name) || typeof value !== 'string' || BAD_HEADER_VALUE.test(value)) {
      throw new TypeError(
        `HttpError header ${JSON.stringify(name)} is not a valid header name and string value`,
      );
    }
  }
  if (extensions === undefined) return;
  for (const name of Object.keys(extensions)) {
    if (RESERVED_MEMBERS.has(name)) {
      throw new TypeError(
        `HttpError extension ${JSON.stringify(name)} would replace a standard problem member ` +
          '(type, title, status, detail, instance and code are reserved)',
      );
    }
  }
  try {
    JSON.stringify(extensions);
  } catch (error) {
    throw new TypeError('HttpError extensions must be JSON-serialisable', { cause: error });
  }
}

/**
 * An HTTP failure answered as problem+json: `status`, the message as `detail`, `code`, `headers`, and
 * `extensions` as extra members of the body. Throw it (or pass it to `next`) from a route.
 *
 * The 0.1.0 form `new HttpError(code, status, message, { cause })` still works.
 * @example
 * throw new HttpError(409, 'The order is already closed.', {
 *   code: 'ERR_ORDER_CLOSED',
 *   extensions: { orderId: id },
 * });
 * @throws {TypeError} at construction: a status outside 400–599, a code not matching `^ERR_[A-Z0-9_]+$`, a bad
 * header, or an extension named like a standard member or not JSON-serialisable.
 */
export class HttpError extends M8Error<HttpErrorCode> {
  readonly status: number;
  /** Extra response headers. */
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** Extension members of the problem body. */
  readonly extensions: Readonly<Record<string, unknown>> | undefined;

  constructor(status: number, detail: string, options?: HttpErrorOptions);
  /** @deprecated The 0.1.0 form; use `new HttpError(status, detail, { code })`. */
  constructor(code: ErrorCode, status: number, message: string, options?: { cause?: unknown });
  constructor(
    first: number | ErrorCode,
    second: string | number,
    third?: string | HttpErrorOptions,
    fourth?: { cause?: unknown },
  ) {
    const legacy = typeof first === 'string';
    const status = legacy ? (second as number) : first;
    const detail = legacy ? (third as string) : (second as string);
    const options: HttpErrorOptions = legacy
      ? { code: first, ...fourth }
      : ((third as HttpErrorOptions) ?? {});
    checkHttpErrorArgs(status, options);
    super(options.code ?? defaultCode(status), detail, options.cause === undefined ? undefined : options);
    this.status = status;
    this.headers = options.headers === undefined ? undefined : Object.freeze({ ...options.headers });
    this.extensions = options.extensions === undefined ? undefined : Object.freeze({ ...options.extensions });
  }
}
