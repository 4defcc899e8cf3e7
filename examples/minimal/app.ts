/**
 * The minimal example service: one public route, one protected route stub, health, docs.
 * `buildMinimalApp(env)` is what the demo serves and what `app.test.ts` drives over HTTP.
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import { buildAuthDeps, createApp, loadSettings, type M8App, type Settings } from 'express-m8';

/** Development defaults: HS256 with a per-run random secret, no issuer needed, embedded everything. */
export function demoEnv(
  env: Record<string, string | undefined> = process.env,
): Record<string, string | undefined> {
  return {
    DOMAIN: 'localhost',
    ENVIRONMENT: 'local',
    PROJECT_NAME: 'minimal-demo',
    STACK_NAME: 'demo',
    API_PREFIX: '/api',
    BACKEND_HOST: 'http://localhost:8000',
    FRONTEND_HOST: 'http://localhost:5173',
    BACKEND_CORS_ORIGINS: 'http://localhost:5173',
    TOKEN_MODE: 'stateless',
    ACCESS_TOKEN_ALGORITHM: 'HS256',
    // Never ship a fixed secret: each demo run makes its own unless you set one.
    ACCESS_SECRET_KEY: `Dev-${randomBytes(24).toString('base64url')}-9!`,
    TOKEN_ISSUER: 'http://localhost:8000/auth',
    TOKEN_AUDIENCE: 'minimal-demo',
    EVENT_SIGNING_ENABLED: 'false',
    METRICS_ENABLED: 'true',
    ...env,
  };
}

export function buildMinimalApp(
  settings: Settings = loadSettings({ env: demoEnv(), envFile: false }),
): M8App {
  const auth = buildAuthDeps(settings);
  const router = express.Router();
  router.get('/hello', (_req, res) => {
    res.json({ message: 'hello, anonymous caller' });
  });
  router.get('/me', auth.requireUser, (req, res) => {
    res.json({ id: req.user?.id, email: req.user?.email, role: req.user?.role });
  });
  router.delete('/admin/cache', auth.requireAdmin, (_req, res) => {
    res.status(204).end();
  });
  return createApp(settings, router, { serviceVersion: '1.0.0', lifecycle: { auth } });
}
