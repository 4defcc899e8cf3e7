import express from 'express';
import { createApp, createDbEngine, type M8App } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import { sql } from 'kysely';
import pino from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { probe, TARGETS, urlFor } from '../db/helpers/targets.js';
import { startTcpProxy, type TcpProxy } from '../db/helpers/tcp-proxy.js';
import { createLogSink } from '../support/log-sink.js';

const SERVERS = TARGETS.filter((target) => target.server !== undefined);
const CASES = await Promise.all(
  SERVERS.map(async (target) => ({ target, name: target.name, unreachable: await probe(target) })),
);

/** A pino logger writing into the shared test sink (test/http/helpers.ts). */
function logLines(): {
  logger: pino.Logger;
  lines: () => Array<Record<string, unknown>>;
  text: () => string;
} {
  const sink = createLogSink();
  return { logger: pino({ level: 'info' }, sink.stream), lines: sink.lines, text: sink.text };
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
}, 30_000);

describe.each(CASES)('a database outage on the $name seen through HTTP', ({ target, unreachable }) => {
  if (unreachable !== undefined) {
    it.skipIf(!process.env.CI)(`needs the ${target.name} (${unreachable})`, () => {
      throw new Error(`CI is set but the ${target.name} is unreachable (${unreachable})`);
    });
    return;
  }

  async function appBehindProxy(): Promise<{
    app: M8App;
    proxy: TcpProxy;
    log: ReturnType<typeof logLines>;
  }> {
    const proxy = await startTcpProxy(target.server?.host ?? '127.0.0.1', target.server?.port ?? 0);
    const settings = testSettings({
      SELECTED_DB: target.kind,
      DATABASE_URL: urlFor(target, { port: proxy.port }),
    });
    const engine = createDbEngine<unknown>(settings, { acquireTimeoutMs: 1000 });
    const router = express.Router();
    router.get('/one', async (_req, res, next) => {
      try {
        const { rows } = await sql<{ one: number }>`select 1 as one`.execute(engine.db);
        res.json({ one: Number(rows[0]?.one) });
      } catch (error) {
        next(error);
      }
    });
    const log = logLines();
    const app = createApp(settings, router, { logger: log.logger, lifecycle: { db: engine } });
    await app.start();
    cleanup.push(
      () => app.stop(),
      () => proxy.close(),
    );
    return { app, proxy, log };
  }

  it('answers 503 problem+json ERR_DB_UNAVAILABLE with Retry-After, logging the outage once and its end once', async () => {
    const { app, proxy, log } = await appBehindProxy();
    await request(app).get('/one').expect(200, { one: 1 });

    proxy.down();
    for (let i = 0; i < 3; i++) {
      const res = await request(app).get('/one');
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(res.body).toMatchObject({ status: 503, code: 'ERR_DB_UNAVAILABLE' });
      expect(JSON.stringify(res.body)).not.toContain(String(proxy.port));
    }
    const down = log.lines().filter((line) => String(line.msg).startsWith('database unavailable'));
    expect(down).toHaveLength(1);
    // The dropped pooled connections and every failed request are part of that one line.
    expect(log.lines().filter((line) => line.component === 'db' && Number(line.level) >= 40)).toHaveLength(1);
    expect(down[0]).toMatchObject({ level: 40, db_available: false });
    // No stack trace per request: besides the normal request line, no error-level line, none with a stack.
    const others = log.lines().filter((line) => line.msg !== 'request completed');
    expect(others.filter((line) => Number(line.level) >= 50)).toEqual([]);
    expect(JSON.stringify(log.lines())).not.toContain('"stack"');

    proxy.up();
    await vi.waitFor(async () => expect((await request(app).get('/one')).status).toBe(200), {
      timeout: 5000,
      interval: 50,
    });
    await request(app).get('/one').expect(200);
    const back = log.lines().filter((line) => line.msg === 'database available again');
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({ level: 30, db_available: true });
    expect(log.lines().filter((line) => String(line.msg).startsWith('database unavailable'))).toHaveLength(1);
  });

  it('answers 503 ERR_DB_UNAVAILABLE to a query cancelled by the statement timeout', async () => {
    const settings = testSettings({
      SELECTED_DB: target.kind,
      DATABASE_URL: urlFor(target),
      DB_STATEMENT_TIMEOUT_MS: 200,
    });
    const engine = createDbEngine<unknown>(settings);
    const router = express.Router();
    router.get('/slow', async (_req, res, next) => {
      try {
        await sql.raw(target.sleepSql(3)).execute(engine.db);
        res.json({ done: true });
      } catch (error) {
        next(error);
      }
    });
    const app = createApp(settings, router, { lifecycle: { db: engine } });
    await app.start();
    cleanup.push(() => app.stop());
    const res = await request(app).get('/slow');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'ERR_DB_UNAVAILABLE' });
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
  });
});

describe('errors that only look like a database outage', () => {
  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', '08006'])(
    'answers 500 and logs the error in full for a %s that did not come from the database engine',
    async (code) => {
      const { logger, lines } = logLines();
      const router = express.Router().get('/upstream', () => {
        // An HTTP client or a cache failing with a socket code: not the database.
        throw Object.assign(new Error('upstream call failed'), { code });
      });
      const app = createApp(testSettings(), router, { logger });
      cleanup.push(() => app.stop());
      const res = await request(app).get('/upstream');
      expect(res.status).toBe(500);
      expect(res.body.code).toBe('ERR_HTTP_INTERNAL');
      const errorLine = lines().find((line) => line.level === 50);
      expect(errorLine?.err).toMatchObject({ message: 'upstream call failed', code });
    },
  );
});
