// Reference: the same full stack built the usual fastify 5 way, to compare express-m8 with the fastest
// mainstream alternative in the same run. The same route, body, token and log destination as m8.mjs:
// @fastify/jwt (RS256 public key from the PEM file, issuer and audience checked, fast-jwt's verified-token
// cache on, as express-m8 caches verified tokens), @fastify/helmet with HSTS and the same CSP and headers,
// @fastify/cors with the same origin and credentials, the same Permissions-Policy, fastify-metrics (route metrics and prom-client's
// default process metrics, as express-m8's metrics), a Host check hook, a request id, and one pino line per
// request (fastify's own two request lines are off) to a file through the same batched destination.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import jwt from '@fastify/jwt';
import Fastify, { LogController } from 'fastify';
import metrics from 'fastify-metrics';
import pino from 'pino';
import { pinoBenchLogger } from '../common.mjs';

const logger = pinoBenchLogger(pino);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const app = Fastify({
  loggerInstance: logger,
  logController: new LogController({ disableRequestLogging: true }),
  genReqId(req) {
    const incoming = req.headers['x-request-id'];
    return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  },
});

const allowedHosts = new Set(['127.0.0.1', 'api.example.com']);
app.addHook('onRequest', (req, reply, done) => {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  if (!allowedHosts.has(host)) {
    reply.code(400).type('application/problem+json').send({ title: 'Bad Request', status: 400 });
    return;
  }
  reply.header('X-Request-ID', req.id);
  reply.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
  done();
});
await app.register(helmet, {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      'default-src': ["'none'"],
      'frame-ancestors': ["'none'"],
      'base-uri': ["'none'"],
      'form-action': ["'none'"],
    },
  },
  crossOriginEmbedderPolicy: false,
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
  crossOriginResourcePolicy: { policy: 'same-origin' },
  referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
  strictTransportSecurity: { maxAge: 31536000, includeSubDomains: true, preload: false },
  xFrameOptions: { action: 'deny' },
});
await app.register(cors, { origin: ['https://app.example.com'], credentials: true, maxAge: 3600 });
await app.register(metrics, { endpoint: '/metrics' });
await app.register(jwt, {
  secret: { public: readFileSync(process.env.BENCH_PUBLIC_KEY_FILE) },
  verify: {
    algorithms: ['RS256'],
    allowedIss: 'https://auth.example.com',
    allowedAud: 'bench',
    cache: true,
  },
});
app.addHook('onResponse', (req, reply, done) => {
  logger.info(
    {
      reqId: req.id,
      method: req.method,
      url: req.url,
      route: req.routeOptions.url,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 1000) / 1000,
      userId: req.user?.sub,
    },
    'request completed',
  );
  done();
});
app.get('/api/items', {
  onRequest: async (req) => {
    await req.jwtVerify();
  },
  handler: async () => ({ items: [{ id: 1, name: 'first' }] }),
});

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.stdout.write(`READY ${app.server.address().port}\n`);
process.on('SIGTERM', () => {
  void app.close().finally(() => process.exit(0));
});
