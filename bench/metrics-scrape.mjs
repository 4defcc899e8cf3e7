#!/usr/bin/env node
// Cost of one `GET /metrics` scrape with 200 distinct routes × 5 status codes recorded (1000 series per
// HTTP family), all metric groups on. Prints the median and p95 scrape time and the body size.
//
//   npm run build && node bench/metrics-scrape.mjs [--scrapes 50]
import { parseArgs } from 'node:util';
import express from 'express';
import { createApp } from 'express-m8';
import { testSettings } from 'express-m8/testing';

const { values: args } = parseArgs({ options: { scrapes: { type: 'string', default: '50' } } });
const STATUSES = [200, 201, 400, 404, 500];
const ROUTES = 200;

const router = express.Router();
for (let i = 0; i < ROUTES; i++) {
  router.get(`/r${i}/:id`, (req, res) => {
    res.status(Number(req.query.s)).end();
  });
}
const app = createApp(testSettings({ METRICS_ENABLED: true, METRICS_GROUPS: 'all' }), router);
await app.start();
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

for (let i = 0; i < ROUTES; i++) {
  await Promise.all(STATUSES.map((s) => fetch(`${base}/r${i}/${i}?s=${s}`).then((r) => r.arrayBuffer())));
}
const times = [];
let bytes = 0;
let series = 0;
for (let i = 0; i < Number(args.scrapes); i++) {
  const start = performance.now();
  const body = await (await fetch(`${base}/metrics`)).text();
  times.push(performance.now() - start);
  bytes = body.length;
  series = body.split('\n').filter((line) => line && !line.startsWith('#')).length;
}
times.sort((a, b) => a - b);
const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(2);
console.log(
  `node ${process.version}; ${ROUTES} routes × ${STATUSES.length} statuses; ${times.length} scrapes`,
);
console.log(
  `scrape median ${at(0.5)} ms, p95 ${at(0.95)} ms; body ${(bytes / 1024).toFixed(0)} KiB, ${series} samples`,
);
server.close();
await app.stop();
