import express from 'express';
import { createApp, createDbEngine, type M8App } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe, TARGETS } from '../db/helpers/targets.js';
import { startTcpProxy, type TcpProxy } from '../db/helpers/tcp-proxy.js';

const postgres = TARGETS.find((target) => target.kind === 'Postgres');
if (postgres?.server === undefined) throw new Error('test/db/helpers/targets.ts has no PostgreSQL server');
const server = postgres.server;
const unreachable = await probe(postgres);

/** Polls `GET /api/health/ready` until it answers `status` (or the deadline passes); returns the last answer. */
async function readyUntil(
  app: M8App,
  status: number,
  deadlineMs = 5000,
): Promise<{ status: number; body: unknown }> {
  const started = performance.now();
  for (;;) {
    const res = await request(app).get('/api/health/ready');
    if (res.status === status || performance.now() - started > deadlineMs) {
      return { status: res.status, body: res.body as unknown };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.runIf(unreachable === undefined)('readiness with a PostgreSQL engine behind a TCP proxy', () => {
  let proxy: TcpProxy;
  let app: M8App;

  beforeAll(async () => {
    proxy = await startTcpProxy(server.host, server.port);
    const settings = testSettings({
      SELECTED_DB: 'Postgres',
      DATABASE_URL: `postgres://${server.user}@127.0.0.1:${proxy.port}/${server.database}`,
    });
    const db = createDbEngine<unknown>(settings, { acquireTimeoutMs: 1500 });
    app = createApp(settings, express.Router(), {
      lifecycle: { db },
      health: { cacheTtlMs: 0, timeoutMs: 2000 },
    });
    await app.start();
  });

  afterAll(async () => {
    await app?.stop();
    await proxy?.close();
  });

  it('answers ready 200, 503 fail while the database is unreachable, and 200 again once it is back, without a restart', async () => {
    await request(app).get('/api/health/ready').expect(200);

    proxy.down();
    expect(await readyUntil(app, 503)).toEqual({ status: 503, body: { status: 'fail' } });
    // Still failing on the next check: new connections are refused too, not only the open ones dropped.
    await request(app).get('/api/health/ready').expect(503, { status: 'fail' });

    proxy.up();
    expect((await readyUntil(app, 200)).status).toBe(200);
    await request(app).get('/api/health/ready').expect(200);
    expect(app.ready).toBe(true);
  });
});

// Registered only when the server is down, so a healthy run reports no skipped test.
if (unreachable !== undefined) {
  describe('readiness with a PostgreSQL engine (server unreachable)', () => {
    if (process.env.CI) {
      it('has its server reachable, as CI requires', () => {
        throw new Error(
          `CI is set but the PostgreSQL server is unreachable (${unreachable}); database tests may not be skipped in CI`,
        );
      });
    } else {
      it.skip(`is skipped: the PostgreSQL server is unreachable (${unreachable}); with CI set this fails`, () => {});
    }
  });
}
