import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { problemBody, sendProblem } from '../http/index.js';
import { createSecretMatcher } from '../security/index.js';
import type { ClusterWorkerLink } from './cluster.js';

const UNAUTHORIZED = problemBody({
  status: 401,
  code: 'ERR_METRICS_UNAUTHORIZED',
  detail: 'Not authenticated',
  headers: { 'WWW-Authenticate': 'Bearer' },
});
const UNAVAILABLE = problemBody({
  status: 503,
  code: 'ERR_HTTP_UNAVAILABLE',
  detail: 'Cluster metrics unavailable.',
  headers: { 'Retry-After': '1' },
});
const NOT_FOUND = problemBody({ status: 404, code: 'ERR_HTTP_NOT_FOUND', detail: 'Not Found' });

/**
 * Checks `Authorization: Bearer <credential>` in constant time: both sides are hashed first, so neither the
 * length nor a prefix of the credential leaks through timing. The scheme is case-insensitive (RFC 9110 §11.1).
 */
function createScrapeGate(credential: string | undefined): (req: IncomingMessage) => boolean {
  if (credential === undefined || credential === '') return () => true;
  const matches = createSecretMatcher(credential);
  return (req) => {
    const header = req.headers.authorization;
    if (typeof header !== 'string' || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') {
      return false;
    }
    return matches(header.slice(7).trim());
  };
}

/** The `GET /metrics` handler: gate, then the registry (or the cluster aggregate) as Prometheus text. */
export function createScrapeHandler(
  registry: Registry,
  credential: string | undefined,
  link: ClusterWorkerLink | undefined,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const isAllowed = createScrapeGate(credential);
  const contentType = registry.contentType;
  return async function metricsHandler(req, res): Promise<void> {
    if (!isAllowed(req)) {
      sendProblem(res, UNAUTHORIZED);
      return;
    }
    let text: string;
    try {
      text = link?.isActive === true ? await link.aggregate() : await registry.metrics();
    } catch {
      sendProblem(res, UNAVAILABLE);
      return;
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.end(req.method === 'HEAD' ? undefined : text);
  };
}

/** A bare `node:http` server answering `GET|HEAD /metrics` only, for `METRICS_PORT`. */
export function createMetricsServer(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Server {
  return createServer((req, res) => {
    const url = req.url ?? '/';
    const path = url.indexOf('?') === -1 ? url : url.slice(0, url.indexOf('?'));
    if ((path === '/metrics' || path === '/metrics/') && (req.method === 'GET' || req.method === 'HEAD')) {
      handler(req, res).catch(() => {
        if (!res.headersSent) sendProblem(res, UNAVAILABLE);
      });
      return;
    }
    sendProblem(res, NOT_FOUND);
  });
}
