import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import express from 'express';
import { createApp } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { hardenServer } from '../../src/lifecycle/harden.js';
import { type RunningServer, serveWith } from '../../src/lifecycle/index.js';
import { createMetrics } from '../../src/metrics/index.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
});

interface RawReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Writes `bytes` on a fresh connection and reads until the server closes it. */
function raw(url: string, bytes: string): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(bytes));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
  });
}

async function served(overrides: Record<string, string | number | boolean> = {}): Promise<RunningServer> {
  const app = createApp(testSettings(overrides), express.Router());
  const running = await serveWith(
    app,
    { port: 0, host: '127.0.0.1' },
    { signals: new EventEmitter(), exit: () => {} },
  );
  cleanups.push(() => running.close());
  return running;
}

function expectHardenedProblem(reply: RawReply, status: number, code: string): void {
  expect(reply.status).toBe(status);
  expect(reply.headers).toMatchObject({
    'content-type': 'application/problem+json',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    connection: 'close',
  });
  expect(JSON.parse(reply.body)).toMatchObject({ status, code });
}

const MALFORMED = 'NOT A REQUEST LINE\r\n\r\n';
const OVERSIZED = `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`;

describe("Node's own 4xx answers on the serve() server", () => {
  it('answers a malformed request line with 400 problem+json carrying the security headers', async () => {
    const running = await served();
    const reply = await raw(running.url, MALFORMED);
    expectHardenedProblem(reply, 400, 'ERR_HTTP_BAD_REQUEST');
    expect(reply.headers['cross-origin-resource-policy']).toBe('same-origin');
  });

  it('answers headers over the size limit with 431 problem+json carrying the security headers', async () => {
    const running = await served();
    expectHardenedProblem(await raw(running.url, OVERSIZED), 431, 'ERR_HTTP_CLIENT_ERROR');
  });

  it('leaves out the optional static headers when SECURITY_HEADERS_ENABLED is false, never nosniff and DENY', async () => {
    const running = await served({ SECURITY_HEADERS_ENABLED: false });
    const reply = await raw(running.url, MALFORMED);
    expectHardenedProblem(reply, 400, 'ERR_HTTP_BAD_REQUEST');
    expect(reply.headers['cross-origin-resource-policy']).toBeUndefined();
  });

  it('answers headers that do not arrive within REQUEST_TIMEOUT_SECONDS with 408 and closes the connection', async () => {
    const running = await served({ REQUEST_TIMEOUT_SECONDS: 0.5 });
    expect(running.server.requestTimeout).toBe(500);
    expect(running.server.headersTimeout).toBe(500);
    const started = performance.now();
    const reply = await raw(running.url, 'GET /api/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    expectHardenedProblem(reply, 408, 'ERR_HTTP_CLIENT_ERROR');
    // Checked every second: far below Node's 300 s request and 60 s headers defaults.
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('turns the request limit off with REQUEST_TIMEOUT_SECONDS=0 and keeps a 60 s headers limit', async () => {
    const running = await served({ REQUEST_TIMEOUT_SECONDS: 0 });
    expect(running.server.requestTimeout).toBe(0);
    expect(running.server.headersTimeout).toBe(60_000);
  });
});

describe('the METRICS_PORT server', () => {
  async function metricsServer(): Promise<{ url: string; close: () => Promise<void> }> {
    const metrics = createMetrics(testSettings({ METRICS_ENABLED: true, METRICS_PORT: 9464 }));
    if (metrics?.listen === undefined) throw new Error('no METRICS_PORT server');
    const server = await metrics.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => metrics.close());
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => metrics.close(),
    };
  }

  it('answers a malformed request line and oversized headers as problem+json with the security headers', async () => {
    const { url } = await metricsServer();
    expectHardenedProblem(await raw(url, MALFORMED), 400, 'ERR_HTTP_BAD_REQUEST');
    expectHardenedProblem(await raw(url, OVERSIZED), 431, 'ERR_HTTP_CLIENT_ERROR');
  });

  it('closes at once although a connection that sends nothing and one with half its headers are open', async () => {
    const { url, close } = await metricsServer();
    const { hostname, port } = new URL(url);
    const open = (bytes: string) =>
      new Promise<void>((resolve) => {
        const socket = connect({ host: hostname, port: Number(port) }, () => {
          socket.write(bytes);
          resolve();
        });
        socket.on('error', () => {});
        cleanups.push(async () => socket.destroy());
      });
    await open('');
    await open('GET /metrics HTTP/1.1\r\nHost: x\r\n');
    const started = performance.now();
    await close();
    // The idle grace (1 s), not Node's 60 s headers limit.
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe('hardenServer', () => {
  it('adds one clientError listener however often it runs, and none beside a listener of the caller', () => {
    const server = createServer();
    hardenServer(server);
    hardenServer(server);
    expect(server.listenerCount('clientError')).toBe(1);
    const own = createServer();
    const mine = () => {};
    own.on('clientError', mine);
    hardenServer(own);
    expect(own.listeners('clientError')).toEqual([mine]);
  });
});
