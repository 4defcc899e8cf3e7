// The floor: the least an Express 5 application can do by hand to answer the bench request the way the
// express-m8 full stack must (same response headers, one JSON log line per request to a file through
// pino's own batched destination, the request counter and duration histogram in prom-client, a request id,
// a Host check, the CORS answer for the allowed origin, and a verified-token cache: one Map lookup of the
// bearer token). Nothing is validated beyond that, nothing is configurable, no error is mapped: it is not a
// service anyone should run, only what the contracted behaviour costs on Express at least, so that the
// express-m8 row can be read against it as well as against bare Express. BENCH_FLOOR_PARTS (a comma list of
// `headers`, `log`, `metrics`, `auth`; default all four) leaves parts out, to see what each one costs; the
// request id, Host check and CORS answer go with `headers`.
import { randomUUID } from 'node:crypto';
import express from 'express';
import pino from 'pino';
import { Counter, Histogram, Registry } from 'prom-client';
import { pinoBenchLogger } from '../common.mjs';

const logger = pinoBenchLogger(pino);
const registry = new Registry();
const requests = new Counter({
  name: 'http_requests_total',
  help: 'Requests.',
  labelNames: ['method', 'route', 'status_code'],
  registers: [registry],
});
const duration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Duration.',
  labelNames: ['method', 'route'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});
const HEADERS = [
  [
    'Content-Security-Policy',
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  ],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Referrer-Policy', 'strict-origin-when-cross-origin'],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  [
    'Permissions-Policy',
    'accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()',
  ],
];
const ORIGIN = 'https://app.example.com';
const HOSTS = new Set(['127.0.0.1', 'api.example.com']);
// Filled on the first sight of a token; a real stack verifies it once (here: any bearer token is accepted).
const verified = new Map();
const parts = new Set((process.env.BENCH_FLOOR_PARTS ?? 'headers,log,metrics,auth').split(','));
const withHeaders = parts.has('headers');
const withLog = parts.has('log');
const withMetrics = parts.has('metrics');

const app = express();
app.disable('x-powered-by');
app.use((req, res, next) => {
  const start = performance.now();
  const host = req.headers.host ?? '';
  const colon = host.indexOf(':');
  if (!HOSTS.has(colon === -1 ? host : host.slice(0, colon))) {
    res.status(400).end();
    return;
  }
  const id = withHeaders ? randomUUID() : '';
  if (withHeaders) {
    res.setHeader('X-Request-ID', id);
    for (const [name, value] of HEADERS) res.setHeader(name, value);
    res.setHeader('Vary', 'Origin');
  }
  if (withHeaders && req.headers.origin === ORIGIN) {
    res.setHeader('Access-Control-Allow-Origin', ORIGIN);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Expose-Headers', 'X-Request-ID,Retry-After');
  }
  if (withLog || withMetrics)
    res.on('finish', () => {
      const route = req.route === undefined ? 'UNMATCHED' : req.baseUrl + req.route.path;
      const ms = performance.now() - start;
      if (withMetrics) {
        requests.inc({ method: req.method, route, status_code: res.statusCode });
        duration.observe({ method: req.method, route }, ms / 1000);
      }
      if (withLog)
        logger.info(
          {
            reqId: id,
            method: req.method,
            url: req.originalUrl,
            route,
            status: res.statusCode,
            durationMs: Math.round(ms * 1000) / 1000,
            userId: req.user?.id,
          },
          'request completed',
        );
    });
  next();
});
function requireUser(req, res, next) {
  const header = req.headers.authorization ?? '';
  const token = header.startsWith('Bearer ') ? header.slice(7) : '';
  let user = verified.get(token);
  if (user === undefined && token !== '') {
    user = { id: JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sub };
    verified.set(token, user);
  }
  if (user === undefined) {
    res.status(401).end();
    return;
  }
  req.user = user;
  next();
}
function handler(_req, res) {
  res.json({ items: [{ id: 1, name: 'first' }] });
}
if (parts.has('auth')) app.get('/api/items', requireUser, handler);
else app.get('/api/items', handler);
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
