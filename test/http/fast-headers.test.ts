import { createServer, get, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createApp, type M8App } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fastHeadersActive,
  prepareHeaders,
  setCheckedHeader,
  setFastHeaders,
  setPreparedHeaders,
} from '../../src/http/fast-headers.js';
import { problemBody, sendProblem } from '../../src/http/problem.js';
import { PRODUCTION } from './helpers.js';

const servers: Server[] = [];
const apps: M8App[] = [];
afterEach(async () => {
  setFastHeaders(true);
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
  await Promise.allSettled(apps.splice(0).map((app) => app.stop()));
});

async function serve(listener: RequestListener): Promise<number> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** The response's header lines as sent (name case and order kept), and its body. */
function fetchRaw(
  port: number,
  path = '/',
  headers: Record<string, string> = {},
): Promise<{ raw: string[]; body: string; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ raw: res.rawHeaders, body, res }));
    }).on('error', reject);
  });
}

/** Header lines without the ones that change per request. */
function stable(raw: readonly string[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name === 'Date' || name === 'X-Request-ID') continue;
    lines.push(`${name}: ${raw[i + 1]}`);
  }
  return lines;
}

const PAIRS = [
  'X-Content-Type-Options',
  'nosniff',
  'X-Frame-Options',
  'DENY',
  'X-Frame-Options',
  'SAMEORIGIN',
];

describe('headers written into the header table (http/fast-headers.ts)', () => {
  it('is active on this Node (its self-test passed)', () => {
    expect(fastHeadersActive()).toBe(true);
  });

  it('sends the same header lines, in the same order, as res.setHeader per pair', async () => {
    const prepared = prepareHeaders(PAIRS);
    const fast = await serve((_req, res) => {
      setCheckedHeader(res, 'x-request-id', 'X-Request-ID', 'abc');
      setPreparedHeaders(res, prepared);
      res.end('ok');
    });
    const slow = await serve((_req, res) => {
      res.setHeader('X-Request-ID', 'abc');
      for (let i = 0; i < PAIRS.length; i += 2) res.setHeader(PAIRS[i] as string, PAIRS[i + 1] as string);
      res.end('ok');
    });
    const a = await fetchRaw(fast);
    const b = await fetchRaw(slow);
    expect(stable(a.raw)).toEqual(stable(b.raw));
    expect(a.res.headers['x-request-id']).toBe('abc');
    // A later pair of the same name wins, as with setHeader.
    expect(a.res.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('leaves the headers readable, replaceable, appendable and removable, per response', async () => {
    const prepared = prepareHeaders(PAIRS);
    const port = await serve((req, res) => {
      setPreparedHeaders(res, prepared);
      const seen = res.getHeader('x-content-type-options');
      if (req.url === '/append') res.appendHeader('X-Frame-Options', 'other');
      if (req.url === '/remove') res.removeHeader('X-Content-Type-Options');
      res.setHeader('X-Seen', String(seen));
      res.end(JSON.stringify(res.getHeaderNames()));
    });
    const appended = await fetchRaw(port, '/append');
    expect(appended.res.headers['x-frame-options']).toBe('SAMEORIGIN, other');
    // The append changed that response's entry only, not the prepared list the next response gets.
    const plain = await fetchRaw(port, '/');
    expect(plain.res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(plain.res.headers['x-seen']).toBe('nosniff');
    expect(JSON.parse(plain.body)).toEqual(['x-content-type-options', 'x-frame-options', 'x-seen']);
    const removed = await fetchRaw(port, '/remove');
    expect(removed.res.headers['x-content-type-options']).toBeUndefined();
  });

  it('validates once, at preparation, what setHeader would refuse', () => {
    expect(() => prepareHeaders(['Bad Name', 'x'])).toThrow(TypeError);
    expect(() => prepareHeaders(['X-Ok', 'line\nbreak'])).toThrow(TypeError);
  });

  it('throws like setHeader once the headers are sent', async () => {
    const prepared = prepareHeaders(PAIRS);
    let thrown: unknown;
    const port = await serve((_req, res) => {
      res.writeHead(200);
      try {
        setPreparedHeaders(res, prepared);
      } catch (error) {
        thrown = error;
      }
      res.end();
    });
    await fetchRaw(port);
    expect((thrown as { code?: string }).code).toBe('ERR_HTTP_HEADERS_SENT');
  });

  it('sends a prepared problem with the same header lines and body with the direct writes on and off', async () => {
    const problem = problemBody({
      status: 401,
      code: 'ERR_AUTH_INVALID_TOKEN',
      detail: 'Could not validate credentials.',
      headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"', 'Cache-Control': 'no-store' },
    });
    const port = await serve((_req, res) => {
      res.setHeader('X-Request-ID', 'abc');
      sendProblem(res, problem);
    });
    const fast = await fetchRaw(port);
    setFastHeaders(false);
    const slow = await fetchRaw(port);
    expect(stable(fast.raw)).toEqual(stable(slow.raw));
    expect(fast.body).toBe(slow.body);
    expect(fast.res.statusCode).toBe(401);
    expect(fast.res.headers['content-type']).toBe('application/problem+json');
    expect(fast.res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(Number(fast.res.headers['content-length'])).toBe(Buffer.byteLength(fast.body));
  });

  it('gives the full stack the same response headers with the direct writes on and off', async () => {
    const settings = testSettings({
      ...PRODUCTION,
      HSTS_ENABLED: true,
      CONTENT_SECURITY_POLICY_ENABLED: true,
      ALLOWED_HOSTS: ['127.0.0.1'],
    });
    const router = express.Router().get('/items', (_req, res) => {
      res.json({ items: [] });
    });
    const app = createApp(settings, router);
    apps.push(app);
    await app.start();
    const port = await serve(app);
    const cases: [string, Record<string, string>][] = [
      ['/items', { Origin: 'https://app.example.com' }],
      ['/items', {}],
      ['/items', { Origin: 'https://evil.example.com' }],
      ['/missing', { Origin: 'https://app.example.com' }],
    ];
    const run = async () => {
      const out: string[][] = [];
      for (const [path, headers] of cases) {
        const { raw, res } = await fetchRaw(port, path, headers);
        expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
        out.push(stable(raw));
      }
      return out;
    };
    const fast = await run();
    setFastHeaders(false);
    expect(fastHeadersActive()).toBe(false);
    const slow = await run();
    expect(fast).toEqual(slow);
    // The hardening headers are there at all (not two empty lists).
    expect(fast[0]).toContain('X-Frame-Options: DENY');
    expect(fast[0]).toContain('Access-Control-Allow-Origin: https://app.example.com');
    expect(fast[0]).toContain('Strict-Transport-Security: max-age=31536000; includeSubDomains');
  });
});
