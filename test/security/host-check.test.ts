import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { type TestSettingsOverrides, testSettings } from 'express-m8/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createHostCheck } from '../../src/security/index.js';
import { PRODUCTION, tinyApp } from '../http/helpers.js';

const EXEMPT = ['/api/health/live', '/api/health/ready'];

function appFor(overrides: TestSettingsOverrides) {
  const check = createHostCheck(testSettings(overrides), { exemptPaths: EXEMPT });
  const app = tinyApp([check]);
  app.get('/api/health/live', (_req, res) => res.json({ status: 'ok' }));
  return app;
}

async function statusFor(overrides: TestSettingsOverrides, host: string, path = '/ok'): Promise<number> {
  // Routes registered after tinyApp's 404 would never match: exempt paths are checked on /ok-like paths below.
  return (await request(appFor(overrides)).get(path).set('Host', host)).status;
}

/** Sends a raw HTTP/1.0 request without a Host header (HTTP/1.1 ones are refused by Node itself). */
async function rawWithoutHost(overrides: TestSettingsOverrides, path: string): Promise<string> {
  const server = createServer(tinyApp([createHostCheck(testSettings(overrides), { exemptPaths: ['/ok'] })]));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(`GET ${path} HTTP/1.0\r\n\r\n`));
      let data = '';
      socket.on('data', (c) => {
        data += String(c);
      });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
  } finally {
    server.close();
  }
}

describe('trusted hosts', () => {
  it('is not installed when ALLOWED_HOSTS is empty', () => {
    expect(createHostCheck(testSettings({}))).toBeUndefined();
  });

  it('accepts an exact host, ignoring case and port', async () => {
    const hosts = { ALLOWED_HOSTS: ['api.example.com'] };
    expect(await statusFor(hosts, 'api.example.com')).toBe(200);
    expect(await statusFor(hosts, 'API.Example.COM:8443')).toBe(200);
  });

  it('refuses any other host with a 400 problem+json Invalid host header', async () => {
    const res = await request(appFor({ ALLOWED_HOSTS: ['api.example.com'] }))
      .get('/ok')
      .set('Host', 'evil.com');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toEqual({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'Invalid host header',
      code: 'ERR_HTTP_INVALID_HOST',
    });
  });

  it('matches subdomains of a wildcard at any depth but not its apex', async () => {
    const hosts = { ALLOWED_HOSTS: ['*.example.com'] };
    expect(await statusFor(hosts, 'a.example.com')).toBe(200);
    expect(await statusFor(hosts, 'a.b.example.com:3000')).toBe(200);
    expect(await statusFor(hosts, 'example.com')).toBe(400);
    expect(await statusFor(hosts, 'badexample.com')).toBe(400);
    expect(await statusFor(hosts, 'evil.com/x.example.com')).toBe(400);
  });

  it('decides the same on one app across many requests: accepted hosts are remembered, refused ones never', async () => {
    const app = appFor({ ALLOWED_HOSTS: ['*.example.com', 'api.example.org'] });
    const statuses: number[] = [];
    // More distinct accepted hosts than the app remembers, each twice, with refused ones in between.
    for (let i = 0; i < 70; i++) {
      statuses.push((await request(app).get('/ok').set('Host', `s${i}.example.com`)).status);
      statuses.push((await request(app).get('/ok').set('Host', `s${i}.example.com`)).status);
      statuses.push((await request(app).get('/ok').set('Host', 'evil.example.net')).status);
    }
    expect(statuses.filter((s, i) => i % 3 !== 2 && s !== 200)).toEqual([]);
    expect(statuses.filter((s, i) => i % 3 === 2 && s !== 400)).toEqual([]);
    expect((await request(app).get('/ok').set('Host', 'API.example.org:443')).status).toBe(200);
    expect((await request(app).get('/ok').set('Host', 'example.com')).status).toBe(400);
  });

  it('handles bracketed IPv6 hosts with a port', async () => {
    expect(await statusFor({ ALLOWED_HOSTS: ['[::1]'] }, '[::1]:8080')).toBe(200);
    expect(await statusFor({ ALLOWED_HOSTS: ['[::1]'] }, '[::1]')).toBe(200);
    expect(await statusFor({ ALLOWED_HOSTS: ['[::1]'] }, '[::2]:80')).toBe(400);
  });

  it('adds localhost and 127.0.0.1 outside production', async () => {
    const hosts = { ENVIRONMENT: 'development' as const, ALLOWED_HOSTS: ['api.example.com'] };
    expect(await statusFor(hosts, 'localhost:8000')).toBe(200);
    expect(await statusFor(hosts, '127.0.0.1:8000')).toBe(200);
  });

  it('does not add localhost in production or strict mode', async () => {
    const prod = { ...PRODUCTION, ALLOWED_HOSTS: ['api.example.com'] };
    expect(await statusFor(prod, 'localhost')).toBe(400);
    expect(await statusFor(prod, '127.0.0.1')).toBe(400);
    expect(
      await statusFor({ ...prod, ENVIRONMENT: 'staging', STRICT_PRODUCTION_MODE: true }, 'localhost'),
    ).toBe(400);
    expect(await statusFor(prod, 'api.example.com')).toBe(200);
  });

  it('lets exempt paths through whatever the host, with or without a trailing slash or query', async () => {
    const hosts = { ...PRODUCTION, ALLOWED_HOSTS: ['api.example.com'] };
    const check = createHostCheck(testSettings(hosts), { exemptPaths: EXEMPT })!;
    const { default: express } = await import('express');
    const app = express();
    app.use(check);
    app.get('/api/health/live', (_req, res) => res.json({ status: 'ok' }));
    app.get('/api/ping', (_req, res) => res.json({ status: 'ok' }));
    expect((await request(app).get('/api/health/live').set('Host', '10.0.0.7:8000')).status).toBe(200);
    expect((await request(app).get('/api/health/live/?probe=1').set('Host', '10.0.0.7')).status).toBe(200);
    expect((await request(app).get('/api/ping').set('Host', '10.0.0.7')).status).toBe(400);
  });

  it('refuses a request without a Host header unless its path is exempt', async () => {
    const hosts = { ALLOWED_HOSTS: ['api.example.com'] };
    const refused = await rawWithoutHost(hosts, '/nowhere');
    expect(refused).toMatch(/^HTTP\/1\.1 400/);
    expect(refused).toContain('Invalid host header');
    expect(await rawWithoutHost(hosts, '/ok?x=1')).toMatch(/^HTTP\/1\.1 200/);
  });

  it('is not installed when ALLOWED_HOSTS contains *', () => {
    expect(createHostCheck(testSettings({ ALLOWED_HOSTS: ['*'] }))).toBeUndefined();
  });
});
