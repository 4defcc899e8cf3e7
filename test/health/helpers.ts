import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { type AppState, createHealthRoutes, type HealthRoutesOptions } from '../../src/health/index.js';

export interface HealthHarness {
  readonly app: Express;
  state: AppState;
}

/** An express app with the health router mounted at `prefix` (root when empty). */
export function healthApp(
  options: Partial<HealthRoutesOptions> & { prefix?: string; state?: AppState } = {},
): HealthHarness {
  const { prefix = '/api', state = 'ready', ...rest } = options;
  const harness: HealthHarness = { app: express(), state };
  const router = createHealthRoutes({
    credential: undefined,
    service: 'orders',
    version: '1.2.3',
    getState: () => harness.state,
    ...rest,
  });
  if (prefix === '') harness.app.use(router);
  else harness.app.use(prefix, router);
  return harness;
}

/** Listens on 127.0.0.1:0 so that many concurrent requests share one server. */
export async function listen(
  app: Express,
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const server = createServer(app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A promise with its resolver exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Response headers minus those that legitimately differ between two identical answers. */
export function stableHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const { date: _date, ...rest } = headers;
  return rest;
}
