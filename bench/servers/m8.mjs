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
// cached path must cost the same). BENCH_M8_MODE=api-key turns API_KEYS=local on, the keys table in an
// embedded PGlite database on disk (a fresh directory beside BENCH_LOG_FILE, migrated at start; with
// BENCH_API_KEY_DB_URL=postgres://… in PostgreSQL instead, tables prefixed m8bench_), creates one
// writer key through createApiKeyManager and prints it after the port (`READY <port> <key>`): the load then
// sends `X-API-Key` instead of the bearer token. Everything else is the production stack above.
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import express from 'express';
import pino from 'pino';
import { m8BenchLogger, m8StackEnv } from '../common.mjs';

const m8 = await import(process.env.BENCH_M8_MODULE ?? 'express-m8');
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

const apiKeyMode = mode === 'api-key';
const settings = m8.loadSettings({
  envFile: false,
  env: m8StackEnv({
    ...(process.env.BENCH_PROFILE === 'oidc2'
      ? {
          TOKEN_PROFILE: 'oidc',
          TOKEN_ISSUER: 'https://auth.example.com,https://login.example.org/tenant/v2.0',
          TOKEN_AUDIENCE: 'bench,api://bench',
        }
      : {}),
    METRICS_ENABLED: process.env.BENCH_METRICS === '0' ? 'false' : 'true',
    ...(mode === 'stateless' || apiKeyMode ? {} : { ENVIRONMENT: 'staging' }),
    ...(apiKeyMode
      ? {
          ...(process.env.BENCH_API_KEY_DB_URL
            ? {
                SELECTED_DB: 'Postgres',
                DATABASE_URL: process.env.BENCH_API_KEY_DB_URL,
                TABLES_PREFIX: 'm8bench',
              }
            : {
                SELECTED_DB: 'Pglite',
                PGLITE_DATA_DIR: mkdtempSync(join(dirname(process.env.BENCH_LOG_FILE), 'pglite-')),
              }),
          API_KEYS: 'local',
          API_KEY_PEPPER: 'Bench-Api-Key-Pepper-0123456789-abcXYZ!',
          // bench/instructions.mjs raises both: at valgrind's pace a 30 s key cache would put a lookup into
          // every few hundred counted requests (at full speed: one per 30 s), and a query may outlast 10 s.
          ...(process.env.BENCH_API_KEY_CACHE_TTL_SECONDS
            ? {
                API_KEY_CACHE_TTL_SECONDS: process.env.BENCH_API_KEY_CACHE_TTL_SECONDS,
                DB_STATEMENT_TIMEOUT_MS: '120000',
              }
            : {}),
        }
      : {}),
    ...streamEnv,
  }),
});
const logger = m8BenchLogger(m8, pino);
const engine = apiKeyMode ? m8.createDbEngine(settings) : undefined;
const auth = m8.buildAuthDeps(settings, { logger, db: engine });
const router = express.Router();
router.get('/api/items', auth.requireUser, (_req, res) => {
  res.json({ items: [{ id: 1, name: 'first' }] });
});
const keys = apiKeyMode ? m8.createApiKeyManager(engine, settings) : undefined;
const app = m8.createApp(settings, router, {
  logger,
  lifecycle: apiKeyMode
    ? { auth, db: engine, startupValidators: [async () => void (await keys.migrate())] }
    : { auth },
});
await app.start();
const apiKey = keys === undefined ? '' : ` ${(await keys.create({ name: 'bench', role: 'writer' })).key}`;
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
  process.stdout.write(`READY ${server.address().port}${apiKey}\n`);
});
process.on('SIGTERM', () => {
  void app
    .stop()
    .then(() => issuer?.close())
    .finally(() => process.exit(0));
  server.close();
});
