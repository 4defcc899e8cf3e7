// The express-m8 full stack of m8.mjs (production tier, RS256 from a PEM file, CORS, security headers, trusted
// hosts, request id, metrics, one JSON log line per request to a file) serving an authenticated
// `POST /api/items` with a 6-field JSON body: through `contract({ body })` when BENCH_CONTRACT=1, without
// when BENCH_CONTRACT=0 (the same handler either way). Used by bench/contract.mjs.
import http from 'node:http';
import express from 'express';
import pino from 'pino';
import { z } from 'zod';

const { buildAuthDeps, contract, createApp, loadSettings } = await import(
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
    METRICS_ENABLED: 'true',
    LOG_LEVEL: 'info',
    PGLITE_DATA_DIR: '/tmp/express-m8-bench-pglite',
  },
});
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

const Item = z.object({
  title: z.string().min(1).max(200),
  qty: z.number().int().positive(),
  price: z.number().nonnegative(),
  done: z.boolean(),
  tags: z.array(z.string().max(50)).max(20),
  note: z.string().max(500).optional(),
});
function created(req, res) {
  res.status(201).json({ title: req.body.title, qty: req.body.qty });
}
const router = express.Router();
if (process.env.BENCH_CONTRACT === '1') {
  router.post('/api/items', auth.requireUser, contract({ summary: 'Create an item', body: Item }), created);
} else {
  router.post('/api/items', auth.requireUser, created);
}
const app = createApp(settings, router, { logger, lifecycle: { auth } });
await app.start();
const server = http.createServer(app);
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  void app.stop().finally(() => process.exit(0));
  server.close();
});
