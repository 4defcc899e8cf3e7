import express from 'express';
import { SettingsError } from 'express-m8';
import { type TestSettingsOverrides, testSettings } from 'express-m8/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createSecurityHeaders, DEFAULT_CONTENT_SECURITY_POLICY } from '../../src/security/index.js';
import { PRODUCTION, tinyApp } from '../http/helpers.js';

async function headersFor(overrides: TestSettingsOverrides, path = '/ok'): Promise<Record<string, string>> {
  const app = tinyApp([createSecurityHeaders(testSettings(overrides))]);
  const res = await request(app).get(path);
  return res.headers as Record<string, string>;
}

const ALWAYS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
};

/** helmet defaults left out on purpose (document-only or legacy): see docs/security.md. */
const NEVER = [
  'cross-origin-embedder-policy',
  'cross-origin-opener-policy',
  'origin-agent-cluster',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
  'x-powered-by',
];

describe('security headers', () => {
  it('sends nosniff, DENY and CORP on local, without Referrer-Policy, Permissions-Policy, HSTS or CSP', async () => {
    const h = await headersFor({
      ENVIRONMENT: 'local',
      HSTS_ENABLED: true,
      CONTENT_SECURITY_POLICY_ENABLED: true,
    });
    expect(h).toMatchObject(ALWAYS);
    for (const absent of [
      'referrer-policy',
      'permissions-policy',
      'strict-transport-security',
      'content-security-policy',
      ...NEVER,
    ]) {
      expect(h[absent], absent).toBeUndefined();
    }
  });

  it('keeps Referrer-Policy and Permissions-Policy off in development', async () => {
    const h = await headersFor({ ENVIRONMENT: 'development' });
    expect(h).toMatchObject(ALWAYS);
    expect(h['referrer-policy']).toBeUndefined();
    expect(h['permissions-policy']).toBeUndefined();
  });

  it('adds Referrer-Policy and Permissions-Policy in production', async () => {
    const h = await headersFor({ ...PRODUCTION, PERMISSIONS_POLICY: 'camera=(), usb=()' });
    expect(h).toMatchObject(ALWAYS);
    expect(h['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(h['permissions-policy']).toBe('camera=(), usb=()');
    expect(h['strict-transport-security']).toBeUndefined();
    for (const name of NEVER) expect(h[name], name).toBeUndefined();
  });

  it('sends the restrictive default Permissions-Policy in production: accelerometer, camera, geolocation, gyroscope, magnetometer, microphone, payment and usb all off', async () => {
    const h = await headersFor(PRODUCTION);
    expect(h['permissions-policy']).toBe(
      'accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()',
    );
  });

  it('adds them in strict mode on a development environment too', async () => {
    const h = await headersFor({
      ...PRODUCTION,
      ENVIRONMENT: 'development',
      STRICT_PRODUCTION_MODE: true,
      REFERRER_POLICY: 'no-referrer',
    });
    expect(h['referrer-policy']).toBe('no-referrer');
    expect(h['permissions-policy']).toBe(
      'accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()',
    );
  });

  it('sends HSTS with includeSubDomains when enabled outside local', async () => {
    const h = await headersFor({ ...PRODUCTION, HSTS_ENABLED: true, HSTS_MAX_AGE: 600 });
    expect(h['strict-transport-security']).toBe('max-age=600; includeSubDomains');
  });

  it('drops includeSubDomains when HSTS_INCLUDE_SUBDOMAINS is false', async () => {
    const h = await headersFor({
      ENVIRONMENT: 'staging',
      HSTS_ENABLED: true,
      HSTS_INCLUDE_SUBDOMAINS: false,
    });
    expect(h['strict-transport-security']).toBe('max-age=31536000');
  });

  it('sends no HSTS when HSTS_MAX_AGE is 0 or HSTS_ENABLED is false', async () => {
    expect(
      (await headersFor({ ...PRODUCTION, HSTS_ENABLED: true, HSTS_MAX_AGE: 0 }))['strict-transport-security'],
    ).toBeUndefined();
    expect(
      (await headersFor({ ...PRODUCTION, HSTS_ENABLED: false }))['strict-transport-security'],
    ).toBeUndefined();
  });

  it('sends the default API CSP when enabled without a value', async () => {
    const h = await headersFor({ ENVIRONMENT: 'development', CONTENT_SECURITY_POLICY_ENABLED: true });
    expect(h['content-security-policy']).toBe(DEFAULT_CONTENT_SECURITY_POLICY);
    expect(DEFAULT_CONTENT_SECURITY_POLICY).toBe(
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
  });

  it('sends a custom CSP as given, even without default-src', async () => {
    const h = await headersFor({
      ...PRODUCTION,
      CONTENT_SECURITY_POLICY_ENABLED: true,
      CONTENT_SECURITY_POLICY: "default-src 'self'; img-src 'self' data:",
    });
    expect(h['content-security-policy']).toBe("default-src 'self'; img-src 'self' data:");
    const noDefault = await headersFor({
      ENVIRONMENT: 'staging',
      CONTENT_SECURITY_POLICY_ENABLED: true,
      CONTENT_SECURITY_POLICY: "frame-ancestors 'none'",
    });
    expect(noDefault['content-security-policy']).toBe("frame-ancestors 'none'");
  });

  it('sends no CSP when CONTENT_SECURITY_POLICY_ENABLED is false', async () => {
    expect((await headersFor({ ...PRODUCTION }))['content-security-policy']).toBeUndefined();
  });

  it('sends no security header at all when SECURITY_HEADERS_ENABLED is false', async () => {
    const settings = testSettings({ ...PRODUCTION, SECURITY_HEADERS_ENABLED: false, HSTS_ENABLED: true });
    expect(createSecurityHeaders(settings)).toBeUndefined();
    const h = await headersFor({ ...PRODUCTION, SECURITY_HEADERS_ENABLED: false, HSTS_ENABLED: true });
    for (const name of [
      ...Object.keys(ALWAYS),
      'referrer-policy',
      'permissions-policy',
      'strict-transport-security',
    ]) {
      expect(h[name], name).toBeUndefined();
    }
  });

  it('sets the headers on error and 404 answers too', async () => {
    const h = await headersFor({ ENVIRONMENT: 'development' }, '/missing');
    expect(h).toMatchObject(ALWAYS);
  });

  it('removes an X-Powered-By set before it', async () => {
    const app = express();
    app.use((_req, res, next) => {
      res.setHeader('X-Powered-By', 'Express');
      next();
    });
    app.use(createSecurityHeaders(testSettings({}))!);
    app.get('/', (_req, res) => res.send('ok'));
    const res = await request(app).get('/');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('names CONTENT_SECURITY_POLICY when helmet rejects the policy', () => {
    const settings = testSettings({
      ENVIRONMENT: 'staging',
      CONTENT_SECURITY_POLICY_ENABLED: true,
      CONTENT_SECURITY_POLICY: 'default-src self',
    });
    expect(() => createSecurityHeaders(settings)).toThrow(SettingsError);
    expect(() => createSecurityHeaders(settings)).toThrow(/CONTENT_SECURITY_POLICY/);
  });
});
