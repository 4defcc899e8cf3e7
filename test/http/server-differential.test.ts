import { EventEmitter } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import compression from 'compression';
import express, { type Request } from 'express';
import { createApp, type M8App } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import { Server as IoServer } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveWith } from '../../src/lifecycle/index.js';

/**
 * The same scenarios, run on a plain `http.createServer(app)`, on `serve(app)` (the default) and on
 * `serve(app, { appServerClasses: true })` (forced on with V8 12, so it runs on any Node): code that runs on the
 * server before Express (upgrade and early request listeners, engine.io middleware) and around it (SSE,
 * compression) must see exactly the same thing on each.
 */

type Variant = 'stock http.createServer(app)' | 'serve(app)' | 'serve(app, { appServerClasses: true })';
const VARIANTS: Variant[] = [
  'stock http.createServer(app)',
  'serve(app)',
  'serve(app, { appServerClasses: true })',
];

/** What a client sees of one answer, minus what differs by nature (ids, dates, connection handling). */
interface Seen {
  status: number;
  headers: Record<string, string>;
  body: string;
}
const VARYING = new Set(['x-request-id', 'date', 'connection', 'keep-alive', 'transfer-encoding']);

function seeHttp(url: string, path: string, headers: Record<string, string> = {}): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, url), { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const seen: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (!VARYING.has(name)) seen[name] = String(value);
        }
        const body = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        resolve({ status: res.statusCode ?? 0, headers: seen, body: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends an upgrade request that the server's own `upgrade` listener answers with a plain HTTP response. */
function seeUpgrade(url: string, path: string): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, url), {
      agent: false,
      headers: { Connection: 'Upgrade', Upgrade: 'example' },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: { 'content-type': String(res.headers['content-type']) },
          body,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** A POST with `Expect: 100-continue`: the body goes out only once the server said continue. */
function seeContinue(url: string, path: string): Promise<Seen & { continued: boolean }> {
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = httpRequest(new URL(path, url), {
      method: 'POST',
      agent: false,
      headers: { Expect: '100-continue', 'Content-Type': 'text/plain', 'Content-Length': '5' },
    });
    req.on('continue', () => {
      continued = true;
      req.end('hello');
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: {}, body, continued }));
    });
    req.on('error', reject);
  });
}

interface Running {
  readonly url: string;
  readonly server: Server;
  /** What the server-level listeners recorded, in order. */
  readonly recorded: unknown[];
  close(): Promise<void>;
}

function buildApp(): M8App {
  const router = express.Router();
  router.use(compression({ threshold: 512 }));
  router.get('/early', (req, res) => {
    res.json({ ip: req.ip, path: req.path, query: req.query });
  });
  router.post('/upload', express.text(), (req, res) => {
    res.json({ query: req.query, body: req.body as unknown });
  });
  router.get('/events', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.write(': stream opened\n\n');
    for (let id = 1; id <= 3; id++) res.write(`id: ${id}\nevent: tick\ndata: {"n":${id}}\n\n`);
    res.end();
  });
  router.get('/big', (_req, res) => {
    res.type('text/plain').send('express-m8 '.repeat(400));
  });
  return createApp(testSettings(), router);
}

/** Server-level code that runs before Express, as real services attach it. */
function attachBeforeExpress(server: Server, recorded: unknown[]): IoServer {
  server.on('upgrade', (req: Request, socket) => {
    if (!req.url.startsWith('/raw-upgrade')) return;
    const before = { ip: req.ip, path: req.path, protocol: req.protocol, query: req.query, fresh: req.fresh };
    req.query = { from: 'upgrade' };
    Object.assign(req, { ip: '198.51.100.1', path: '/assigned', protocol: 'ws' });
    const after = { ip: req.ip, path: req.path, protocol: req.protocol, query: req.query };
    const body = JSON.stringify({ before, after });
    socket.end(
      `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  // A checkContinue listener replaces Node's automatic 100 Continue: it sees the request before Express does.
  server.on('checkContinue', (req: Request, res) => {
    recorded.push({ checkContinue: { ip: req.ip, path: req.path, query: req.query } });
    req.query = { continued: 'yes' };
    res.writeContinue();
    server.emit('request', req, res);
  });
  server.prependListener('request', (req: Request) => {
    if (!req.url.startsWith('/early')) return;
    recorded.push({ early: { ip: req.ip, path: req.path, query: req.query } });
    Object.assign(req, { ip: '203.0.113.9', path: '/set-early', query: { early: 'yes' } });
  });
  const io = new IoServer(server);
  io.engine.use((req: Request, _res: unknown, next: (error?: Error) => void) => {
    recorded.push({ engine: { ip: req.ip, query: req.query } });
    req.query = { engine: 'yes' };
    next();
  });
  io.on('connection', (socket) => {
    socket.on('echo', (message: string, ack: (reply: unknown) => void) => ack({ echo: message }));
  });
  return io;
}

async function start(variant: Variant): Promise<Running> {
  const app = buildApp();
  const recorded: unknown[] = [];
  let server: Server;
  let stop: () => Promise<void>;
  if (variant === 'stock http.createServer(app)') {
    await app.start();
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    stop = async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await app.stop();
    };
  } else {
    const forced = variant !== 'serve(app)';
    const running = await serveWith(
      app,
      { port: 0, host: '127.0.0.1', ...(forced ? { appServerClasses: true } : {}) },
      { signals: new EventEmitter(), exit: () => {}, ...(forced ? { v8Major: 12 } : {}) },
    );
    server = running.server;
    stop = () => running.close();
  }
  const io = attachBeforeExpress(server, recorded);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    recorded,
    async close() {
      io.disconnectSockets(true);
      io.engine.close();
      await stop();
    },
  };
}

async function socketIoRoundTrip(url: string, transports: Array<'polling' | 'websocket'>): Promise<unknown> {
  const client = ioClient(url, { transports, forceNew: true, reconnection: false, timeout: 3000 });
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('connect_error', reject);
    });
    return await client.timeout(3000).emitWithAck('echo', 'hello');
  } finally {
    client.disconnect();
  }
}

describe('code around Express sees the same on the stock server and on serve(), both ways', () => {
  const running = new Map<Variant, Running>();
  beforeAll(async () => {
    for (const variant of VARIANTS) running.set(variant, await start(variant));
  });
  afterAll(async () => {
    for (const r of running.values()) await r.close();
  });

  /** Runs `scenario` on every variant and returns the results by variant. */
  async function onEach<T>(scenario: (r: Running) => Promise<T>): Promise<Record<Variant, T>> {
    const results = {} as Record<Variant, T>;
    for (const variant of VARIANTS) {
      const r = running.get(variant);
      if (r === undefined) throw new Error(`${variant} did not start`);
      r.recorded.length = 0;
      results[variant] = await scenario(r);
    }
    return results;
  }

  function expectSame<T>(results: Record<Variant, T>): T {
    const stock = results['stock http.createServer(app)'];
    expect(results['serve(app)']).toEqual(stock);
    expect(results['serve(app, { appServerClasses: true })']).toEqual(stock);
    return stock;
  }

  it('an upgrade listener reads and assigns req.query, req.ip, req.path, req.protocol and reads req.fresh', async () => {
    const stock = expectSame(await onEach((r) => seeUpgrade(r.url, '/raw-upgrade?a=1')));
    expect(stock.status).toBe(200);
    expect(JSON.parse(stock.body)).toEqual({
      before: {},
      after: { ip: '198.51.100.1', path: '/assigned', protocol: 'ws', query: { from: 'upgrade' } },
    });
  });

  it('an early request listener reads plain-request values, and what it assigns shadows Express', async () => {
    const stock = expectSame(
      await onEach(async (r) => ({ seen: await seeHttp(r.url, '/early?q=1'), recorded: [...r.recorded] })),
    );
    expect(stock.seen.status).toBe(200);
    expect(JSON.parse(stock.seen.body)).toEqual({
      ip: '203.0.113.9',
      path: '/set-early',
      query: { early: 'yes' },
    });
    expect(stock.recorded).toEqual([{ early: {} }]);
  });

  it('a checkContinue listener reads plain-request values and assigns req.query before Express', async () => {
    const stock = expectSame(
      await onEach(async (r) => ({
        seen: await seeContinue(r.url, '/upload?x=1'),
        recorded: [...r.recorded],
      })),
    );
    expect(stock.seen.continued).toBe(true);
    expect(JSON.parse(stock.seen.body)).toEqual({ query: { continued: 'yes' }, body: 'hello' });
    expect(stock.recorded).toEqual([{ checkContinue: {} }]);
  });

  it('socket.io with io.engine.use middleware connects over polling and websocket', async () => {
    const stock = expectSame(
      await onEach(async (r) => ({
        polling: await socketIoRoundTrip(r.url, ['polling']),
        websocket: await socketIoRoundTrip(r.url, ['websocket']),
        engineSaw: r.recorded.slice(0, 1),
      })),
    );
    expect(stock.polling).toEqual({ echo: 'hello' });
    expect(stock.websocket).toEqual({ echo: 'hello' });
    expect(stock.engineSaw).toEqual([{ engine: {} }]);
  });

  it('a server-sent events stream arrives whole with its headers', async () => {
    const stock = expectSame(await onEach((r) => seeHttp(r.url, '/events')));
    expect(stock.status).toBe(200);
    expect(stock.headers['content-type']).toBe('text/event-stream');
    expect(stock.body).toContain('id: 3\nevent: tick\ndata: {"n":3}\n\n');
  });

  it('compression middleware gzips a large body and leaves a small one alone', async () => {
    const big = expectSame(await onEach((r) => seeHttp(r.url, '/big', { 'Accept-Encoding': 'gzip' })));
    expect(big.headers['content-encoding']).toBe('gzip');
    expect(big.body).toBe('express-m8 '.repeat(400));
    const small = expectSame(await onEach((r) => seeHttp(r.url, '/early', { 'Accept-Encoding': 'gzip' })));
    expect(small.headers['content-encoding']).toBeUndefined();
  });
});
