import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { Agent, createServer, IncomingMessage, type Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { LifecycleError } from 'express-m8';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppServerWith } from '../../src/http/server.js';
import { trackServer } from '../../src/lifecycle/drain.js';
import { type ServeInternals, type ServeOptions, serve, serveWith } from '../../src/lifecycle/index.js';
import { buildTestApp, get, logged, type Reply, type TestApp } from './helpers.js';

const TLS = {
  key: readFileSync(new URL('../fixtures/tls/key.pem', import.meta.url)),
  cert: readFileSync(new URL('../fixtures/tls/cert.pem', import.meta.url)),
};

const cleanups: Array<() => Promise<unknown> | undefined> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()?.catch(() => undefined);
});

async function serveForTest(testApp: TestApp, options: ServeOptions = {}, internals: ServeInternals = {}) {
  const signals = new EventEmitter();
  const exits: number[] = [];
  let exited: (code: number) => void = () => {};
  const exit = new Promise<number>((resolve) => {
    exited = resolve;
  });
  const running = await serveWith(
    testApp.app,
    { port: 0, host: '127.0.0.1', ...options },
    {
      signals,
      exit: (code) => {
        exits.push(code);
        exited(code);
      },
      ...internals,
    },
  );
  cleanups.push(() => running.close());
  return { running, signals, exits, exit };
}

/** Prototypes of each request and response before any request listener ran. */
function recordBirth(server: Server): Array<[object | null, object | null]> {
  const protos: Array<[object | null, object | null]> = [];
  server.prependListener('request', (req, res) => {
    protos.push([Object.getPrototypeOf(req), Object.getPrototypeOf(res)]);
  });
  return protos;
}

const STOCK = [IncomingMessage.prototype, ServerResponse.prototype];

function appProtos(testApp: TestApp): [object, object] {
  const app = testApp.app as unknown as { request: object; response: object };
  return [app.request, app.response];
}

/** One GET over TLS, trusting the fixture certificate. */
function getTls(url: string, path: string, agent: HttpsAgent | false = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, url), { agent, ca: TLS.cert }, (res) => {
      const socket = res.socket;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, socket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serve(): which server', () => {
  it('serves on a stock http.createServer(app) by default', async () => {
    const testApp = buildTestApp();
    const { running } = await serveForTest(testApp);
    const births = recordBirth(running.server);
    expect((await get(running.url, '/fast')).body).toBe('fast');
    expect(births).toEqual([STOCK]);
  });

  it('uses the app server classes when opted in and they pay (V8 12)', async () => {
    const testApp = buildTestApp();
    const { running } = await serveForTest(testApp, { appServerClasses: true }, { v8Major: 12 });
    const births = recordBirth(running.server);
    expect((await get(running.url, '/fast')).body).toBe('fast');
    expect(births).toEqual([appProtos(testApp)]);
    expect(testApp.lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('ignores the opt-in on V8 13 with one warning line saying why, and serves on stock classes', async () => {
    const testApp = buildTestApp();
    const { running } = await serveForTest(testApp, { appServerClasses: true }, { v8Major: 13 });
    const births = recordBirth(running.server);
    expect((await get(running.url, '/fast')).body).toBe('fast');
    expect(births).toEqual([STOCK]);
    const warnings = testApp.lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toMatch(/^appServerClasses ignored: on V8 13 .*slower/);
  });

  it('serves a server the caller built, with the app as its request listener', async () => {
    const testApp = buildTestApp();
    const server = createServer();
    const { running } = await serveForTest(testApp, { server });
    expect(running.server).toBe(server);
    expect(server.listenerCount('request')).toBe(1);
    expect((await get(running.url, '/fast')).body).toBe('fast');
    expect(server.keepAliveTimeout).toBe(65_000);
  });

  it('keeps the request listener of a server that already has one', async () => {
    const testApp = buildTestApp();
    const server = createServer((_req, res) => res.end('own'));
    const { running } = await serveForTest(testApp, { server });
    expect(server.listenerCount('request')).toBe(1);
    expect((await get(running.url, '/fast')).body).toBe('own');
  });

  it('serves a createAppServer(app) server', async () => {
    const testApp = buildTestApp();
    const server = createAppServerWith(testApp.app, {}, { v8Major: 12 });
    const { running } = await serveForTest(testApp, { server });
    const births = recordBirth(server);
    expect((await get(running.url, '/fast')).body).toBe('fast');
    expect(births).toEqual([appProtos(testApp)]);
  });

  it('drains a caller-built server on SIGTERM: the in-flight request finishes with Connection: close, exit 0', async () => {
    const testApp = buildTestApp();
    const { running, signals, exit } = await serveForTest(testApp, { server: createServer() });
    const agent = new Agent({ keepAlive: true });
    cleanups.push(() => void agent.destroy());
    const slow = get(running.url, '/slow', agent);
    await testApp.started.promise;
    signals.emit('SIGTERM');
    await logged(testApp.lines, 'stopped accepting connections');
    testApp.release.open();
    const reply = await slow;
    expect(reply.status).toBe(200);
    expect(reply.headers.connection).toBe('close');
    expect(await exit).toBe(0);
  });

  it('rejects a server that already listens, before starting the app', async () => {
    const testApp = buildTestApp();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const error = await serve(testApp.app, { server }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LifecycleError);
    expect((error as LifecycleError).message).toMatch(/not listening yet/);
    expect(testApp.app.ready).toBe(false);
  });

  it('rejects appServerClasses together with a caller-built server, naming createAppServer', async () => {
    const testApp = buildTestApp();
    const error = await serve(testApp.app, { server: createServer(), appServerClasses: true }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LifecycleError);
    expect((error as LifecycleError).message).toMatch(/createAppServer\(app\)/);
    expect(testApp.app.ready).toBe(false);
  });
});

describe('serve() with an https server', () => {
  it('listens over TLS and shows an https URL', async () => {
    const testApp = buildTestApp();
    const { running } = await serveForTest(testApp, { server: createHttpsServer(TLS) });
    expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const reply = await getTls(running.url, '/fast');
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('fast');
  });

  it('drains it on SIGTERM: a keep-alive in-flight request gets Connection: close and the process exits 0', async () => {
    const testApp = buildTestApp({ timeoutSeconds: 3 });
    const { running, signals, exit, exits } = await serveForTest(testApp, {
      server: createHttpsServer(TLS),
    });
    const agent = new HttpsAgent({ keepAlive: true, ca: TLS.cert });
    cleanups.push(() => void agent.destroy());
    // One finished request leaves an idle kept-alive TLS socket; the next is in flight at SIGTERM.
    expect((await getTls(running.url, '/fast', agent)).headers.connection).toBe('keep-alive');
    const slow = getTls(running.url, '/slow', agent);
    await testApp.started.promise;
    const stopping = Date.now();
    signals.emit('SIGTERM');
    await logged(testApp.lines, 'stopped accepting connections');
    testApp.release.open();
    const reply = await slow;
    expect(reply.body).toBe('slow');
    expect(reply.headers.connection).toBe('close');
    expect(await exit).toBe(0);
    expect(exits).toEqual([0]);
    // Well before the 3 s deadline: the drain saw the TLS socket, it did not wait for a timeout.
    expect(Date.now() - stopping).toBeLessThan(1500);
  });
});

describe('the drain of an https server', () => {
  it('lets a request that outlasts the idle grace finish: the TCP socket under its TLS socket is not closed', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => {
      started = resolve;
    });
    const server = createHttpsServer(TLS, (_req, res) => {
      started();
      void released.then(() => res.end('slow'));
    });
    const tracked = trackServer(server, { idleGraceMs: 20 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      tracked.destroyAll();
      return undefined;
    });
    const { port } = server.address() as { port: number };
    const reply = getTls(`https://127.0.0.1:${port}`, '/slow');
    await inFlight;
    const drained = tracked.drain();
    // Past the grace: what has no request in flight is closed by now; the TLS request must still be open.
    await new Promise((resolve) => setTimeout(resolve, 120));
    release();
    const answer = await reply;
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('slow');
    expect(answer.headers.connection).toBe('close');
    await drained;
  });
});
