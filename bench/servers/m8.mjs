// The express-m8 full stack: RS256 auth (PEM), CORS, security headers (production tier with HSTS), trusted
// hosts, request id, metrics, one JSON log line per request written to a file (bounded async destination).
// Served the way most applications serve an Express app: a stock `http.createServer(app)`. With
// BENCH_SERVER=app the server creates requests and responses with the app's prototypes instead (the
// opt-in app server classes; a labelled extra row, not the target). BENCH_M8_MODULE=/path/to/index.js
// measures another build of express-m8 (A/B comparisons of a change in one run). BENCH_M8_MODE=stateful-stream
// runs TOKEN_MODE=stateful with a 300 s revocation cache and the revocation event stream connected to an
// in-process fake issuer (startEventIssuer), and BENCH_M8_MODE=stateless-staging its stateless control; both
// use ENVIRONMENT=staging because production refuses the fake issuer's http:// INTROSPECTION_URL.
// BENCH_PROFILE=oidc2 verifies the same token under TOKEN_PROFILE=oidc with two issuers and two audiences (the
// cached path must cost the same).
import http from 'node:http';
import express from 'express';
import pino from 'pino';

const m8Module = process.env.BENCH_M8_MODULE ?? 'express-m8';
const { buildAuthDeps, createApp, createLogDestination, loadSettings } = await import(m8Module);
const mode = process.env.BENCH_M8_MODE ?? 'stateless';
const SIGNING_KEY = 'Bench-Event-Signing-Key-0123456789-abcXYZ!';
const INTERNAL_SECRET = 'Bench-Internal-Secret-0123456789-abcXYZ!';
let issuer;
const streamEnv = {};
if (mode === 'stateful-stream') {
  const testingModule = process.env.BENCH_M8_MODULE
    ? new URL('./testing/index.js', `file://${process.env.BENCH_M8_MODULE}`).href
    : 'express-m8/testing';
  const { startEventIssuer } = await import(testingModule);
  issuer = await startEventIssuer({ signingKey: SIGNING_KEY, secret: INTERNAL_SECRET, clientId: 'bench' });
  Object.assign(streamEnv, {
    TOKEN_MODE: 'stateful',
    REVOCATION_CACHE_TTL_SECONDS: '300',
    EVENT_STREAM_ENABLED: 'true',
    INTROSPECTION_URL: issuer.introspectionUrl,
    PRIVATE_API_SECRET: INTERNAL_SECRET,
    INTERNAL_CLIENT_ID: 'bench',
    EVENT_SIGNING_KEY: SIGNING_KEY,
  });
}

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
    ...(process.env.BENCH_PROFILE === 'oidc2'
      ? {
          TOKEN_PROFILE: 'oidc',
          TOKEN_ISSUER: 'https://auth.example.com,https://login.example.org/tenant/v2.0',
          TOKEN_AUDIENCE: 'bench,api://bench',
        }
      : {}),
    EVENT_SIGNING_ENABLED: 'false',
    HSTS_ENABLED: 'true',
    CONTENT_SECURITY_POLICY_ENABLED: 'true',
    METRICS_ENABLED: process.env.BENCH_METRICS === '0' ? 'false' : 'true',
    LOG_LEVEL: 'info',
    // Production refuses an in-memory database; this service opens none, so the directory is never created.
    PGLITE_DATA_DIR: '/tmp/express-m8-bench-pglite',
    ...(mode === 'stateless' ? {} : { ENVIRONMENT: 'staging' }),
    ...streamEnv,
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
if (issuer !== undefined) await issuer.waitForStreams(1);
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
  void app
    .stop()
    .then(() => issuer?.close())
    .finally(() => process.exit(0));
  server.close();
});
