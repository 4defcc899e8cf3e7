// The express-m8 full stack: RS256 auth (PEM), CORS, security headers (production tier with HSTS), trusted
// hosts, request id, metrics, one JSON log line per request written to a file (bounded async destination).
// Served the way most applications serve an Express app: a stock `http.createServer(app)`. With
// BENCH_SERVER=app the server creates requests and responses with the app's prototypes instead (the
// opt-in app server classes; a labelled extra row, not the target). BENCH_M8_MODULE=/path/to/index.js
// measures another build of express-m8 (A/B comparisons of a change in one run).
import http from 'node:http';
import express from 'express';
import pino from 'pino';

const { buildAuthDeps, createApp, createLogDestination, loadSettings } = await import(
  process.env.BENCH_M8_MODULE ?? 'express-m8'
);

const settings = loadSettings({
  envFile: false,
  env: {
    DOMAIN: 'bench.example.com',
    ENVIRONMENT: 'production',
    PROJECT_NAME: 'bench',
    STACK_NAME: 'bench',
    API_PREFIX: '/api',
    BACKEND_HOST: 'https://api.example.com',
    FRONTEND_HOST: 'https://app.example.com',
    BACKEND_CORS_ORIGINS: 'https://app.example.com',
    ALLOWED_HOSTS: '127.0.0.1,api.example.com',
    TOKEN_MODE: 'stateless',
    ACCESS_TOKEN_ALGORITHM: 'RS256',
    ACCESS_PUBLIC_KEY_FILE: process.env.BENCH_PUBLIC_KEY_FILE,
    TOKEN_ISSUER: 'https://auth.example.com',
    TOKEN_AUDIENCE: 'bench',
    EVENT_SIGNING_ENABLED: 'false',
    HSTS_ENABLED: 'true',
    CONTENT_SECURITY_POLICY_ENABLED: 'true',
    METRICS_ENABLED: process.env.BENCH_METRICS === '0' ? 'false' : 'true',
    LOG_LEVEL: 'info',
    // Production refuses an in-memory database; this service opens none, so the directory is never created.
    PGLITE_DATA_DIR: '/tmp/express-m8-bench-pglite',
  },
});
// The same batched, bounded asynchronous destination createLogger uses for stdout by default, to a file (a
// build from before createLogDestination existed used sonic-boom: pino.destination with the same sizes).
const sizes = { minLength: 16 * 1024, maxWrite: 64 * 1024, periodicFlush: 250, maxLength: 16 * 1024 * 1024 };
const destination =
  typeof createLogDestination === 'function'
    ? createLogDestination({ dest: process.env.BENCH_LOG_FILE, ...sizes })
    : pino.destination({ dest: process.env.BENCH_LOG_FILE, sync: false, ...sizes });
const logger = pino({ level: 'info' }, destination);
const auth = buildAuthDeps(settings, { logger });
const router = express.Router();
router.get('/api/items', auth.requireUser, (_req, res) => {
  res.json({ items: [{ id: 1, name: 'first' }] });
});
const app = createApp(settings, router, { logger, lifecycle: { auth } });
await app.start();
function bornWith(base, prototype) {
  function Born(a, b) {
    base.call(this, a, b);
  }
  Born.prototype = prototype;
  return Born;
}
const server =
  process.env.BENCH_SERVER === 'app'
    ? http.createServer(
        {
          IncomingMessage: bornWith(http.IncomingMessage, app.request),
          ServerResponse: bornWith(http.ServerResponse, app.response),
        },
        app,
      )
    : http.createServer(app);
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  void app.stop().finally(() => process.exit(0));
  server.close();
});
