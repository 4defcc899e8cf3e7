import express, { type Express, type RequestHandler } from 'express';
import type { TestSettingsOverrides } from 'express-m8/testing';
import pino, { type Logger } from 'pino';
import { createErrorHandler, jsonBodyParser, notFoundHandler } from '../../src/http/index.js';
import type { LogSink } from '../support/log-sink.js';

/**
 * Overrides that make testSettings production-valid: no localhost origins, and a database server (production
 * refuses the default in-memory Pglite). Nothing connects to it unless a test queries.
 */
export const PRODUCTION: TestSettingsOverrides = {
  ENVIRONMENT: 'production',
  SELECTED_DB: 'Postgres',
  DATABASE_URL: 'postgres://app@db.example.com:5432/app',
  FRONTEND_HOST: 'https://app.example.com',
  BACKEND_CORS_ORIGINS: 'https://app.example.com',
  BACKEND_HOST: 'https://api.example.com',
};

/** Waits until `predicate` holds (log lines are written when the response closes, a tick after the client saw it). */
export async function eventually(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function sinkLogger(sink: LogSink, level: pino.Level = 'trace'): Logger {
  return pino({ level }, sink.stream);
}

/**
 * A tiny app: the given middlewares, `GET /ok` → `{"ok":true}`, `POST /echo` (JSON body), `GET /boom`
 * (throws), then the 404 and error handlers.
 */
export function tinyApp(
  middlewares: (RequestHandler | undefined)[],
  logger: Logger = pino({ level: 'silent' }),
): Express {
  const app = express();
  app.disable('x-powered-by');
  for (const m of middlewares) if (m !== undefined) app.use(m);
  app.use(jsonBodyParser({ limit: '1kb' }));
  app.get('/ok', (_req, res) => {
    res.json({ ok: true });
  });
  app.post('/echo', (req, res) => {
    res.json(req.body);
  });
  app.get('/boom', () => {
    throw new Error('boom');
  });
  app.use(notFoundHandler);
  app.use(createErrorHandler(logger));
  return app;
}
