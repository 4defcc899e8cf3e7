import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Settings } from '../settings/index.js';

/** Methods a preflight may ask for (DESIGN §5). */
export const CORS_METHODS = 'GET,POST,PUT,PATCH,DELETE,OPTIONS';
/** Request headers a preflight may ask for (DESIGN §5). */
export const CORS_HEADERS = 'Authorization,Content-Type,X-Requested-With,X-API-Key,X-Request-ID';
/** Seconds a browser may cache a preflight answer. */
export const CORS_MAX_AGE_SECONDS = 3600;

const MAX_AGE = String(CORS_MAX_AGE_SECONDS);

/** Adds `Origin` to `Vary` without losing what an earlier middleware put there. */
function varyOrigin(res: ServerResponse): void {
  const current = res.getHeader('Vary');
  if (current === undefined) {
    res.setHeader('Vary', 'Origin');
    return;
  }
  const text = Array.isArray(current) ? current.join(', ') : String(current);
  if (text === '*' || /(?:^|,)\s*origin\s*(?:,|$)/i.test(text)) return;
  res.setHeader('Vary', text === '' ? 'Origin' : `${text}, Origin`);
}

/**
 * CORS for exact ALLOWED_ORIGINS, the behaviour of `cors({ origin: [...], credentials: true, methods, allowedHeaders,
 * maxAge: 3600 })` without its per-request option merging and closures:
 *
 * - every response gets `Vary: Origin`, with or without an `Origin` header (caches must not mix answers);
 * - an allowed origin (exact string match, the list's trailing slashes stripped) gets
 *   `Access-Control-Allow-Origin: <origin>` and `Access-Control-Allow-Credentials: true`; any other origin gets
 *   neither, so the browser blocks the read;
 * - an `OPTIONS` request carrying `Origin` is a preflight: answered `204` with an empty body, plus, for an
 *   allowed origin, `Access-Control-Allow-Methods`, `Access-Control-Allow-Headers` and `Access-Control-Max-Age: 3600`.
 *   An `OPTIONS` without `Origin` goes on to the routes.
 * @example
 * app.use(createCors(settings));
 */
export function createCors(
  settings: Pick<Settings, 'ALLOWED_ORIGINS'>,
): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const origins = new Set<string>();
  for (const origin of settings.ALLOWED_ORIGINS) {
    const trimmed = origin.trim().replace(/\/+$/, '');
    if (trimmed !== '' && trimmed !== '*') origins.add(trimmed);
  }
  return function cors(req, res, next) {
    varyOrigin(res);
    const origin = req.headers.origin;
    if (origin === undefined) {
      next();
      return;
    }
    const allowed = origins.has(origin);
    if (allowed) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method !== 'OPTIONS') {
      next();
      return;
    }
    if (allowed) {
      res.setHeader('Access-Control-Allow-Methods', CORS_METHODS);
      res.setHeader('Access-Control-Allow-Headers', CORS_HEADERS);
      res.setHeader('Access-Control-Max-Age', MAX_AGE);
    }
    res.statusCode = 204;
    res.setHeader('Content-Length', '0');
    res.end();
  };
}
