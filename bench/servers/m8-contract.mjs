// The express-m8 full stack of m8.mjs (production tier, RS256 from a PEM file, CORS, security headers, trusted
// hosts, request id, metrics, one JSON log line per request to a file; settings and log destination from
// bench/common.mjs, shared with m8.mjs) serving an authenticated
// `POST /api/items` with a 6-field JSON body: through `contract({ body })` when BENCH_CONTRACT=1, without
// when BENCH_CONTRACT=0 (the same handler either way). Used by bench/contract.mjs.
import http from 'node:http';
import express from 'express';
import pino from 'pino';
import { z } from 'zod';
import { m8BenchLogger, m8StackEnv } from '../common.mjs';

const m8 = await import(process.env.BENCH_M8_MODULE ?? 'express-m8');
const { buildAuthDeps, contract, createApp, loadSettings } = m8;

const settings = loadSettings({ envFile: false, env: m8StackEnv() });
const logger = m8BenchLogger(m8, pino);
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
