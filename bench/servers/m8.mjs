// The express-m8 full stack: RS256 auth (PEM), CORS, security headers (production tier with HSTS), trusted
// hosts, request id, metrics, one JSON log line per request written to a file (bounded async destination).
import express from 'express';
import { buildAuthDeps, createApp, loadSettings } from 'express-m8';
import pino from 'pino';

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
    METRICS_ENABLED: process.env.BENCH_METRICS === '0' ? 'false' : 'true',
    LOG_LEVEL: 'info',
  },
});
// The same batched, bounded asynchronous destination createLogger uses for stdout by default, to a file.
const logger = pino(
  { level: 'info' },
  pino.destination({
    dest: process.env.BENCH_LOG_FILE,
    sync: false,
    minLength: 16 * 1024,
    maxWrite: 64 * 1024,
    periodicFlush: 250,
    maxLength: 16 * 1024 * 1024,
  }),
);
const auth = buildAuthDeps(settings, { logger });
const router = express.Router();
router.get('/api/items', auth.requireUser, (_req, res) => {
  res.json({ items: [{ id: 1, name: 'first' }] });
});
const app = createApp(settings, router, { logger, lifecycle: { auth } });
await app.start();
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  void app.stop().finally(() => process.exit(0));
  server.close();
});
