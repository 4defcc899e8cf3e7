import express from 'express';
import { buildAuthDeps, createApp, loadSettings } from 'express-m8';
import { generateKeys, mintToken } from 'express-m8/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { sinkLogger } from '../http/helpers.js';
import { createLogSink } from '../support/log-sink.js';
import { messagesAbout, STRONG, settingsError } from './helpers.js';

const HELLO = { ENVIRONMENT: 'local', PROJECT_NAME: 'Hello World', ACCESS_SECRET_KEY: STRONG };

function loadOnly(env: Record<string, string>) {
  return loadSettings({ env, envFile: false });
}

describe('hello world settings', () => {
  it('needs only ENVIRONMENT, PROJECT_NAME and ACCESS_SECRET_KEY locally, with local defaults', () => {
    const s = loadOnly(HELLO);
    expect(s).toMatchObject({
      DOMAIN: 'localhost',
      STACK_NAME: 'hello-world',
      API_PREFIX: '/api',
      BACKEND_HOST: 'http://localhost:8000',
      FRONTEND_HOST: 'http://localhost:5173',
      BACKEND_CORS_ORIGINS: [],
      ALLOWED_ORIGINS: ['http://localhost:5173'],
      ACCESS_TOKEN_ALGORITHM: 'HS256',
      TOKEN_MODE: 'stateless',
      TOKEN_STRICT_VALIDATION: false,
      // Accepted as true: it demands a key only together with EVENT_STREAM_ENABLED.
      EVENT_SIGNING_ENABLED: true,
    });
  });

  it('needs only a JWKS_URI as the key in development (RS256 stays the algorithm)', () => {
    const s = loadOnly({
      ENVIRONMENT: 'development',
      PROJECT_NAME: 'p',
      JWKS_URI: 'http://127.0.0.1:9/jwks',
    });
    expect(s.ACCESS_TOKEN_ALGORITHM).toBe('RS256');
    expect(s.TOKEN_MODE).toBe('stateless');
  });

  it('keeps what is set: explicit values win over every local default', () => {
    const s = loadOnly({
      ...HELLO,
      API_PREFIX: '/v2',
      BACKEND_CORS_ORIGINS: 'http://localhost:3000',
      TOKEN_ISSUER: 'https://auth.example.com',
      TOKEN_AUDIENCE: 'items',
      INTROSPECTION_URL: 'http://127.0.0.1:9/introspect',
      PRIVATE_API_SECRET: 'internal',
    });
    expect(s.API_PREFIX).toBe('/v2');
    expect(s.BACKEND_CORS_ORIGINS).toEqual(['http://localhost:3000']);
    expect(s.TOKEN_STRICT_VALIDATION).toBe(true);
    expect(s.TOKEN_MODE).toBe('stateful');
  });

  it('still refuses an explicit TOKEN_MODE=stateful without INTROSPECTION_URL locally', () => {
    const issues = settingsError(() => loadOnly({ ...HELLO, TOKEN_MODE: 'stateful' })).issues;
    expect(messagesAbout(issues, 'INTROSPECTION_URL')[0]).toMatch(/required when TOKEN_MODE=stateful/);
  });

  it.each(['staging', 'production'])('keeps every requirement in %s', (environment) => {
    const issues = settingsError(() => loadOnly({ ...HELLO, ENVIRONMENT: environment })).issues;
    const names = new Set(issues.map((i) => i.variable));
    for (const name of ['DOMAIN', 'STACK_NAME', 'API_PREFIX', 'BACKEND_HOST', 'FRONTEND_HOST']) {
      expect(names).toContain(name);
    }
    expect(names).toContain('BACKEND_CORS_ORIGINS');
    expect(names).toContain('INTROSPECTION_URL');
    // The signing key is required only with the event stream, in every environment.
    expect(names).not.toContain('EVENT_SIGNING_KEY');
  });

  it('keeps every requirement locally under STRICT_PRODUCTION_MODE=true', () => {
    const issues = settingsError(() => loadOnly({ ...HELLO, STRICT_PRODUCTION_MODE: 'true' })).issues;
    expect(issues.map((i) => i.variable)).toContain('DOMAIN');
  });
});

describe('hello world app', () => {
  it('answers an authenticated route with exactly the three variables, and warns about the fallbacks', async () => {
    const settings = loadOnly(HELLO);
    const sink = createLogSink();
    const auth = buildAuthDeps(settings);
    const router = express.Router().get('/hello', auth.requireUser, (req, res) => {
      res.json({ hello: req.user?.email });
    });
    const app = createApp(settings, router, { lifecycle: { auth }, logger: sinkLogger(sink) });
    await app.start();
    try {
      const keys = await generateKeys('HS256', { secret: STRONG });
      const token = mintToken(keys, { email: 'ada@example.com' }, { issuer: null, audience: null });
      await request(app).get('/hello').expect(401);
      const ok = await request(app).get('/hello').set('Authorization', `Bearer ${token}`).expect(200);
      expect(ok.body).toEqual({ hello: 'ada@example.com' });
      await request(app).get('/api/health/live').expect(200);
      const warnings = sink.lines().filter((l) => l.level === 40);
      const variables = warnings.map((l) => l.variable);
      expect(variables).toContain('TOKEN_MODE');
      expect(variables).toContain('TOKEN_STRICT_VALIDATION');
      expect(String(warnings.find((l) => l.variable === 'TOKEN_MODE')?.msg)).toMatch(/stateless/);
    } finally {
      await app.stop();
    }
  });
});
