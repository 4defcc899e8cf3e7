import { SECRET_SETTINGS } from '../settings/index.js';

/** The value every redacted field is replaced with. */
export const REDACTED = '[REDACTED]';

/** Header names whose values never reach a log line. */
export const SECRET_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-internal-token',
  'x-api-key',
] as const;

/** Field names treated as secrets wherever they appear at the top level or one or two levels down. */
export const SECRET_FIELDS = [
  'password',
  'passwd',
  'secret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'accessToken',
  'refreshToken',
  'api_key',
  'apiKey',
  'client_secret',
  'clientSecret',
  'private_key',
  'privateKey',
  'credential',
  'authorization',
  ...SECRET_SETTINGS,
] as const;

function headerPaths(): string[] {
  const paths: string[] = [];
  for (const prefix of ['req.headers', 'res.headers', 'headers', 'request.headers', 'response.headers']) {
    for (const name of SECRET_HEADERS) paths.push(`${prefix}["${name}"]`);
  }
  return paths;
}

/** The pino `redact.paths`: secret headers under the usual request/response shapes, and secret-named fields. */
export function redactPaths(): string[] {
  const paths = headerPaths();
  for (const field of SECRET_FIELDS) paths.push(field, `*.${field}`, `*.*.${field}`);
  return paths;
}

// Query parameters whose names look secret: `?token=…`, `&password=…`, `api_key`, `access_token`, `code`, …
const SECRET_QUERY =
  /([?&;](?:[^=&;#]*(?:token|password|passwd|secret|api[_-]?key|apikey|auth|signature|sig|credential|code))=)[^&;#]*/gi;

/**
 * A URL safe to log: the values of secret-looking query parameters become `[REDACTED]`.
 * @example
 * scrubUrl('/cb?code=abc&state=1') // '/cb?code=[REDACTED]&state=1'
 */
export function scrubUrl(url: string): string {
  if (url.indexOf('?') === -1) return url;
  return url.replace(SECRET_QUERY, `$1${REDACTED}`);
}
