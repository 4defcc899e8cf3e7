import { CENSOR, JWT_PATTERN, SECRET_KEY_WORDS } from '../redaction/index.js';
import { SECRET_SETTINGS } from '../settings/index.js';

/** The value every redacted field is replaced with (the redaction module's `CENSOR`). */
export { CENSOR as REDACTED } from '../redaction/index.js';

/** Header names whose values never reach a log line. */
const SECRET_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-internal-token',
  'x-api-key',
] as const;

/** Field names treated as secrets at the top level and under the {@link SECRET_PARENTS}. */
const SECRET_FIELDS = [
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

/**
 * Objects under which secret-named fields are redacted too (`body.password`, `config.ACCESS_SECRET_KEY`).
 * Explicit paths only: pino's `*.field` wildcards cost ~200 µs a line when there are dozens of them.
 */
const SECRET_PARENTS = [
  'body',
  'req.body',
  'user',
  'config',
  'settings',
  'data',
  'params',
  'query',
  'options',
  'credentials',
  'env',
] as const;

/**
 * The pino `redact.paths` express-m8's own logger uses: secret headers under `req.headers`, `res.headers`,
 * `headers`, `request.headers`, `response.headers`, and secret-named fields at the top level and under each of
 * {@link SECRET_PARENTS}. Give them to a pino logger you pass as `createApp`'s `logger` option so it redacts
 * the same fields. A fresh array on each call.
 * @example
 * import { redactPaths } from 'express-m8';
 * const logger = pino({ redact: { paths: redactPaths(), censor: '[REDACTED]' } });
 */
export function redactPaths(): string[] {
  const paths = headerPaths();
  for (const field of SECRET_FIELDS) {
    paths.push(field);
    for (const parent of SECRET_PARENTS) paths.push(`${parent}.${field}`);
  }
  return paths;
}

// Query parameter names that look secret: the shared key words (`token`, `password`, `jwt`, `api_key`, …) plus
// URL-only ones: any `…key` (`?key=` API keys), `auth…`, presigned-URL `signature`/`sig`, `credential`, and
// the OAuth 2.0 authorization `code` (RFC 6749 §4.1.2).
const SECRET_NAME_WORDS = `${SECRET_KEY_WORDS}|key|auth|signature|sig|credential|code`;
const SECRET_QUERY = new RegExp(`([?&;](?:[^=&;#]*(?:${SECRET_NAME_WORDS}))=)[^&;#]*`, 'gi');
// With a `%` in the query a name may be percent-encoded (`%74oken=`, `access%5Ftoken=`): every pair is then
// decoded by name and judged by this test.
const QUERY_PAIR = /([?&;])([^=&;#]*)=[^&;#]*/g;
const SECRET_NAME = new RegExp(`(?:${SECRET_NAME_WORDS})`, 'i');
const PERCENT_OCTET = /%([0-9a-f]{2})/gi;
function decodeOctet(_match: string, hex: string): string {
  return String.fromCharCode(Number.parseInt(hex, 16));
}

/** One `?name=value` pair, redacted when its decoded name looks secret. Never throws on bad escapes. */
function redactEncodedPair(pair: string, separator: string, name: string): string {
  const decoded = name.indexOf('%') === -1 ? name : name.replace(PERCENT_OCTET, decodeOctet);
  return SECRET_NAME.test(decoded) ? `${separator}${name}=${CENSOR}` : pair;
}

/**
 * A URL safe to log: the values of secret-looking query parameters (names matched after percent-decoding)
 * and any JWT-shaped segment or value become `[REDACTED]`. Cheap for ordinary URLs: no regex runs unless
 * the URL has a `=` after its `?`, or an `eyJ`.
 * @example
 * scrubUrl('/cb?code=abc&state=1') // '/cb?code=[REDACTED]&state=1'
 * scrubUrl('/reset/eyJhbGciOiJIUzI1NiJ9.e30.sig') // '/reset/[REDACTED]'
 */
export function scrubUrl(url: string): string {
  let out = url;
  const query = out.indexOf('?');
  if (query !== -1 && out.indexOf('=', query) !== -1) {
    out =
      out.indexOf('%', query) === -1
        ? out.replace(SECRET_QUERY, `$1${CENSOR}`)
        : out.replace(QUERY_PAIR, redactEncodedPair);
  }
  // JWT-shaped path segments and values (`/reset/eyJhbGciOi…`), whatever the parameter name.
  if (out.indexOf('eyJ') !== -1) out = out.replace(JWT_PATTERN, CENSOR);
  return out;
}
