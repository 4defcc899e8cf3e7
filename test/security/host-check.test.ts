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

/** Writes `head` (request line and headers, CRLF-separated, without the blank line) as exact bytes. */
async function raw(overrides: TestSettingsOverrides, head: string, exemptPaths = EXEMPT): Promise<string> {
  const server = createServer(tinyApp([createHostCheck(testSettings(overrides), { exemptPaths })]));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    return await rawOn(port, head);
  } finally {
    server.close();
  }
}

function rawOn(port: number, head: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${head}\r\nConnection: close\r\n\r\n`));
    let data = '';
    socket.on('data', (c) => {
      data += String(c);
    });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

const statusLine = (response: string) => response.slice(0, response.indexOf('\r\n'));

describe('trusted hosts', () => {
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
});

describe('Host header validity (RFC 9112 §3.2)', () => {
  const HOSTS = { ALLOWED_HOSTS: ['api.example.com'] };

  it.each([
    ['userinfo after a port', 'api.example.com:x@evil.tld'],
    ['a path after the port', 'api.example.com:80/path'],
    ['a fragment hiding userinfo', 'api.example.com:443#@evil.tld'],
    ['userinfo before an allowed host', 'evil.tld@api.example.com'],
    ['a query', 'api.example.com?x=1'],
    ['a non-digit port', 'api.example.com:80a'],
    ['a bracketed literal that is no IPv6 address', '[::g]:80'],
  ])('refuses a Host with %s (%s) although it starts with an allowed name', async (_what, host) => {
    const response = await raw(HOSTS, `GET /ok HTTP/1.1\r\nHost: ${host}`);
    expect(statusLine(response)).toBe('HTTP/1.1 400 Bad Request');
    expect(response).toContain('application/problem+json');
    expect(response).toContain('"detail":"Invalid host header","code":"ERR_HTTP_INVALID_HOST"');
  });

  it('refuses two Host header lines, whichever comes first, with or without an allow-list', async () => {
    for (const overrides of [HOSTS, {}]) {
      const first = await raw(overrides, 'GET /ok HTTP/1.1\r\nHost: api.example.com\r\nHost: evil.tld');
      const second = await raw(overrides, 'GET /ok HTTP/1.1\r\nhost: evil.tld\r\nHOST: api.example.com');
      expect(statusLine(first)).toBe('HTTP/1.1 400 Bad Request');
      expect(statusLine(second)).toBe('HTTP/1.1 400 Bad Request');
      expect(first).toContain('Invalid host header');
    }
  });

  it('refuses an absolute-form target whose authority differs from Host, and serves one that equals it', async () => {
    const other = await raw(HOSTS, 'GET http://other.tld/ok HTTP/1.1\r\nHost: api.example.com');
    const userinfo = await raw(HOSTS, 'GET http://x@api.example.com/ok HTTP/1.1\r\nHost: api.example.com');
    const same = await raw(HOSTS, 'GET http://API.example.com/ok?x=1 HTTP/1.1\r\nHost: api.example.com');
    expect(statusLine(other)).toBe('HTTP/1.1 400 Bad Request');
    expect(other).toContain('Invalid host header');
    expect(statusLine(userinfo)).toBe('HTTP/1.1 400 Bad Request');
    expect(statusLine(same)).toBe('HTTP/1.1 200 OK');
    const noList = await raw({}, 'GET http://other.tld/ok HTTP/1.1\r\nHost: api.example.com');
    expect(statusLine(noList)).toBe('HTTP/1.1 400 Bad Request');
  });

  it('checks the Host syntax also when ALLOWED_HOSTS is empty or *, accepting any valid host[:port]', async () => {
    for (const overrides of [{}, { ALLOWED_HOSTS: ['*'] }]) {
      expect(statusLine(await raw(overrides, 'GET /ok HTTP/1.1\r\nHost: api.example.com:x@evil.tld'))).toBe(
        'HTTP/1.1 400 Bad Request',
      );
      for (const host of ['anything.example.org:8080', '10.0.0.7', '[::1]:3000', 'xn--bcher-kva.example']) {
        expect(statusLine(await raw(overrides, `GET /ok HTTP/1.1\r\nHost: ${host}`)), host).toBe(
          'HTTP/1.1 200 OK',
        );
      }
    }
  });

  it('never lets a remembered Host value skip the per-request checks (second Host line, target authority)', async () => {
    for (const overrides of [HOSTS, {}]) {
      // GET /ok is exempt here; /nowhere is not (404 when let through, 400 when refused).
      const server = createServer(
        tinyApp([createHostCheck(testSettings(overrides), { exemptPaths: ['/ok'] })]),
      );
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const { port } = server.address() as AddressInfo;
        // Accepted first, so the value is remembered; then the same value with an attack around it.
        const pass = 'HTTP/1.1 404 Not Found';
        const refused = 'HTTP/1.1 400 Bad Request';
        expect(statusLine(await rawOn(port, 'GET /nowhere HTTP/1.1\r\nHost: api.example.com'))).toBe(pass);
        expect(
          statusLine(await rawOn(port, 'GET /nowhere HTTP/1.1\r\nHost: api.example.com\r\nHost: evil.tld')),
        ).toBe(refused);
        expect(
          statusLine(await rawOn(port, 'GET http://evil.tld/nowhere HTTP/1.1\r\nHost: api.example.com')),
        ).toBe(refused);
        // An exempt probe with a foreign Host is served, but that Host is not remembered for other paths.
        expect(statusLine(await rawOn(port, 'GET /ok HTTP/1.1\r\nHost: evil.tld'))).toBe('HTTP/1.1 200 OK');
        expect(statusLine(await rawOn(port, 'GET /nowhere HTTP/1.1\r\nHost: evil.tld'))).toBe(
          overrides === HOSTS ? refused : pass,
        );
      } finally {
        server.close();
      }
    }
  });

  it('refuses a malformed Host on the exempt probe paths too (only the allow-list is skipped there)', async () => {
    const response = await raw(HOSTS, 'GET /ok HTTP/1.1\r\nHost: 10.0.0.7:8080@evil.tld', ['/ok']);
    expect(statusLine(response)).toBe('HTTP/1.1 400 Bad Request');
    expect(statusLine(await raw(HOSTS, 'GET /ok HTTP/1.1\r\nHost: 10.0.0.7:8080', ['/ok']))).toBe(
      'HTTP/1.1 200 OK',
    );
  });

  it('matches IPv6 entries bare or bracketed, in any spelling of the same address', async () => {
    for (const entry of ['::1', '[::1]']) {
      const hosts = { ...PRODUCTION, ALLOWED_HOSTS: [entry] };
      expect(statusLine(await raw(hosts, 'GET /ok HTTP/1.1\r\nHost: [::1]:8080')), entry).toBe(
        'HTTP/1.1 200 OK',
      );
      expect(statusLine(await raw(hosts, 'GET /ok HTTP/1.1\r\nHost: [0:0::0001]')), entry).toBe(
        'HTTP/1.1 200 OK',
      );
      expect(statusLine(await raw(hosts, 'GET /ok HTTP/1.1\r\nHost: [::2]')), entry).toBe(
        'HTTP/1.1 400 Bad Request',
      );
    }
  });
});
