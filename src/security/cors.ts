import { type IncomingMessage, type ServerResponse, validateHeaderValue } from 'node:http';
import { setCheckedHeader } from '../http/fast-headers.js';
import type { Settings } from '../settings/index.js';

/** Methods a preflight may ask for (docs/security.md). */
const CORS_METHODS = 'GET,POST,PUT,PATCH,DELETE,OPTIONS';
/** Request headers a preflight may ask for (docs/security.md). */
const CORS_HEADERS = 'Authorization,Content-Type,X-Requested-With,X-API-Key,X-Request-ID';
/** Response headers a browser script may read unless CORS_EXPOSE_HEADERS says otherwise. */
const DEFAULT_EXPOSE_HEADERS: readonly string[] = Object.freeze(['X-Request-ID', 'Retry-After']);
/** Seconds a browser may cache a preflight answer. */
const CORS_MAX_AGE_SECONDS = 3600;

const MAX_AGE = String(CORS_MAX_AGE_SECONDS);

/** Adds `Origin` to `Vary` without losing what an earlier middleware put there. */
function varyOrigin(res: ServerResponse): void {
  const current = res.getHeader('Vary');
  if (current === undefined) {
    setCheckedHeader(res, 'vary', 'Vary', 'Origin');
    return;
  }
  const text = Array.isArray(current) ? current.join(', ') : String(current);
  if (text === '*' || /(?:^|,)\s*origin\s*(?:,|$)/i.test(text)) return;
  res.setHeader('Vary', text === '' ? 'Origin' : `${text}, Origin`);
}

/** One `scheme://*.domain[:port]` entry: `prefix` + one label + `suffix`. */
interface OriginPattern {
  readonly prefix: string;
  readonly suffix: string;
}

/** A single DNS label, as browsers serialise it in `Origin` (lower case). */
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

function matchesPattern(origin: string, patterns: readonly OriginPattern[]): boolean {
  for (const p of patterns) {
    if (
      origin.length > p.prefix.length + p.suffix.length &&
      origin.startsWith(p.prefix) &&
      origin.endsWith(p.suffix)
    ) {
      if (LABEL.test(origin.slice(p.prefix.length, origin.length - p.suffix.length))) return true;
    }
  }
  return false;
}

/** Whether Node accepts `value` as a header value (then it is written without checking it again). */
function isValidHeaderValue(value: string): boolean {
  try {
    validateHeaderValue('X', value);
    return true;
  } catch {
    return false;
  }
}

/** The built-in allowed request headers plus `extra`, de-duplicated case-insensitively. */
function headerList(base: string, extra: readonly string[]): string {
  const names = base.split(',');
  const seen = new Set(names.map((n) => n.toLowerCase()));
  for (const name of extra) {
    if (!seen.has(name.toLowerCase())) {
      seen.add(name.toLowerCase());
      names.push(name);
    }
  }
  return names.join(',');
}

/**
 * CORS for ALLOWED_ORIGINS, the behaviour of `cors({ origin: [...], credentials: true, methods, allowedHeaders,
 * exposedHeaders, maxAge: 3600 })` without its per-request option merging and closures:
 *
 * - every response gets `Vary: Origin`, with or without an `Origin` header (caches must not mix answers);
 * - an allowed origin gets `Access-Control-Allow-Origin: <origin>` and `Access-Control-Allow-Credentials: true`
 *   (plus `Access-Control-Expose-Headers` from CORS_EXPOSE_HEADERS on a non-preflight answer); any other
 *   origin gets neither, so the browser blocks the read. An origin is allowed when it equals an entry (trailing
 *   slashes stripped), or when an entry `scheme://*.domain[:port]` has the same scheme and port and the origin's
 *   host is exactly one label under `domain` (`https://*.example.com` allows `https://app.example.com`, not
 *   `https://example.com` nor `https://a.b.example.com`);
 * - an `OPTIONS` request carrying `Origin` is a preflight: answered `204` with an empty body, plus, for an
 *   allowed origin, `Access-Control-Allow-Methods`, `Access-Control-Allow-Headers` (the built-in list plus
 *   CORS_ALLOW_HEADERS) and `Access-Control-Max-Age: 3600`. An `OPTIONS` without `Origin` goes on to the routes.
 * @example
 * app.use(createCors(settings));
 */
export function createCors(
  settings: Pick<Settings, 'ALLOWED_ORIGINS'> &
    Partial<Pick<Settings, 'CORS_ALLOW_HEADERS' | 'CORS_EXPOSE_HEADERS'>>,
): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const origins = new Set<string>();
  const patterns: OriginPattern[] = [];
  for (const origin of settings.ALLOWED_ORIGINS) {
    const trimmed = origin.trim().replace(/\/+$/, '');
    const star = trimmed.indexOf('://*.');
    if (star > 0) patterns.push({ prefix: trimmed.slice(0, star + 3), suffix: trimmed.slice(star + 4) });
    else if (trimmed !== '' && trimmed !== '*') origins.add(trimmed);
  }
  const allowHeaders = headerList(CORS_HEADERS, settings.CORS_ALLOW_HEADERS ?? []);
  const exposeHeaders = (settings.CORS_EXPOSE_HEADERS ?? DEFAULT_EXPOSE_HEADERS).join(',');
  // Values checked once here are written without `setHeader`'s per-call checks (http/fast-headers.ts); anything
  // else (a wildcard match, a value Node would refuse) still goes through `res.setHeader`.
  const checkedOrigins = new Set([...origins].filter(isValidHeaderValue));
  const exposeChecked = isValidHeaderValue(exposeHeaders);
  return function cors(req, res, next) {
    varyOrigin(res);
    const origin = req.headers.origin;
    if (origin === undefined) {
      next();
      return;
    }
    const checked = checkedOrigins.has(origin);
    const allowed =
      checked || origins.has(origin) || (patterns.length > 0 && matchesPattern(origin, patterns));
    if (allowed) {
      if (checked)
        setCheckedHeader(res, 'access-control-allow-origin', 'Access-Control-Allow-Origin', origin);
      else res.setHeader('Access-Control-Allow-Origin', origin);
      setCheckedHeader(res, 'access-control-allow-credentials', 'Access-Control-Allow-Credentials', 'true');
    }
    if (req.method !== 'OPTIONS') {
      if (allowed && exposeHeaders !== '') {
        if (exposeChecked)
          setCheckedHeader(
            res,
            'access-control-expose-headers',
            'Access-Control-Expose-Headers',
            exposeHeaders,
          );
        else res.setHeader('Access-Control-Expose-Headers', exposeHeaders);
      }
      next();
      return;
    }
    if (allowed) {
      res.setHeader('Access-Control-Allow-Methods', CORS_METHODS);
      res.setHeader('Access-Control-Allow-Headers', allowHeaders);
      res.setHeader('Access-Control-Max-Age', MAX_AGE);
    }
    res.statusCode = 204;
    res.setHeader('Content-Length', '0');
    res.end();
  };
}
