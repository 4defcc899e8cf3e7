import express from 'express';
import { createApp, type M8App, type SettingsError } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';

function appWith(overrides: Parameters<typeof testSettings>[0]) {
  const router = express.Router().get('/items', (_req, res) => {
    res.json([]);
  });
  return createApp(testSettings({ FRONTEND_HOST: 'https://app.example.com', ...overrides }), router);
}

function preflight(app: M8App, origin: string, headers = 'authorization') {
  return request(app)
    .options('/items')
    .set('Origin', origin)
    .set('Access-Control-Request-Method', 'GET')
    .set('Access-Control-Request-Headers', headers);
}

function issueOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as SettingsError).issues.map((i) => `${i.variable}: ${i.message}`).join('\n');
  }
  throw new Error('expected a SettingsError');
}

describe('CORS allowed and exposed headers', () => {
  it('adds CORS_ALLOW_HEADERS to the built-in request headers of a preflight answer', async () => {
    const app = appWith({ CORS_ALLOW_HEADERS: 'X-Tenant-ID, x-request-id' });
    const res = await preflight(app, 'https://app.example.com', 'x-tenant-id').expect(204);
    expect(res.headers['access-control-allow-headers']).toBe(
      'Authorization,Content-Type,X-Requested-With,X-API-Key,X-Request-ID,X-Tenant-ID',
    );
  });

  it('exposes X-Request-ID and Retry-After by default, and CORS_EXPOSE_HEADERS instead when set', async () => {
    const byDefault = await request(appWith({})).get('/items').set('Origin', 'https://app.example.com');
    expect(byDefault.headers['access-control-expose-headers']).toBe('X-Request-ID,Retry-After');
    const custom = await request(appWith({ CORS_EXPOSE_HEADERS: 'X-Total-Count,ETag' }))
      .get('/items')
      .set('Origin', 'https://app.example.com');
    expect(custom.headers['access-control-expose-headers']).toBe('X-Total-Count,ETag');
    const none = await request(appWith({ CORS_EXPOSE_HEADERS: '' }))
      .get('/items')
      .set('Origin', 'https://app.example.com');
    expect(none.headers['access-control-expose-headers']).toBeUndefined();
  });

  it('exposes nothing to an origin that is not allowed', async () => {
    const res = await request(appWith({})).get('/items').set('Origin', 'https://evil.example.net');
    expect(res.headers['access-control-expose-headers']).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses "*" and malformed header names, naming the variable', () => {
    expect(issueOf(() => testSettings({ CORS_ALLOW_HEADERS: '*' }))).toMatch(/^CORS_ALLOW_HEADERS: .*"\*"/);
    expect(issueOf(() => testSettings({ CORS_EXPOSE_HEADERS: 'X Bad' }))).toMatch(
      /^CORS_EXPOSE_HEADERS: expected header names/,
    );
  });
});

describe('CORS wildcard origins', () => {
  const app = appWith({ BACKEND_CORS_ORIGINS: 'https://*.example.com,http://*.dev.example.org:8080' });

  it.each(['https://admin.example.com', 'https://a-1.example.com', 'http://web.dev.example.org:8080'])(
    'allows %s in a preflight',
    async (origin) => {
      const res = await preflight(app, origin).expect(204);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers['access-control-allow-methods']).toBe('GET,POST,PUT,PATCH,DELETE,OPTIONS');
    },
  );

  it.each([
    ['the bare domain', 'https://example.com'],
    ['two labels under it', 'https://a.b.example.com'],
    ['another scheme', 'http://admin.example.com'],
    ['another port', 'https://admin.example.com:8443'],
    ['no port where one is required', 'http://web.dev.example.org'],
    ['a look-alike domain', 'https://admin.example.com.evil.net'],
    ['a suffix trick', 'https://evilexample.com'],
    ['an empty label', 'https://.example.com'],
  ])('refuses %s (%s)', async (_why, origin) => {
    const res = await preflight(app, origin).expect(204);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-methods']).toBeUndefined();
  });

  it.each([
    '*',
    'https://*',
    'https://a.*.com',
    '*.example.com',
    'https://*.*.example.com',
    'https://*.com',
    'https://x*.example.com',
    'https://*.example.com/path',
  ])('rejects the pattern %s as a BACKEND_CORS_ORIGINS settings error', (pattern) => {
    expect(issueOf(() => testSettings({ BACKEND_CORS_ORIGINS: pattern }))).toMatch(/^BACKEND_CORS_ORIGINS: /);
  });

  it('rejects a wildcard in FRONTEND_HOST, which must be one origin', () => {
    expect(issueOf(() => testSettings({ FRONTEND_HOST: 'https://*.example.com' }))).toMatch(
      /^FRONTEND_HOST: must be one URL, without a wildcard/,
    );
  });
});
