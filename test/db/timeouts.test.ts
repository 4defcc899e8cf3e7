import { type Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDbEngine, type DbEngine } from '../../src/db/index.js';
import { DbError } from '../../src/errors.js';
import { logSink, probe, settingsFor, TARGETS, urlFor } from './helpers/targets.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

const SERVERS = TARGETS.filter((target) => target.server !== undefined);
const PGLITE = TARGETS.find((target) => target.kind === 'Pglite');
if (PGLITE === undefined) throw new Error('test/db/helpers/targets.ts has no Pglite target');
const CASES = await Promise.all(
  SERVERS.map(async (target) => ({ target, name: target.name, unreachable: await probe(target) })),
);

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

const engines: Array<DbEngine<unknown>> = [];
const proxies: TcpProxy[] = [];
function track<T extends DbEngine<unknown>>(engine: T): T {
  engines.push(engine);
  return engine;
}
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.dispose()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
}, 30_000);

function sleepy(db: Kysely<unknown>, sleepSql: string): Promise<unknown> {
  return caught(sql.raw(sleepSql).execute(db));
}

describe.each(CASES)('statement timeout and health path on the $name', ({ target, unreachable }) => {
  if (unreachable !== undefined) {
    it.skipIf(!process.env.CI)(`needs the ${target.name} (${unreachable})`, () => {
      throw new Error(`CI is set but the ${target.name} is unreachable (${unreachable})`);
    });
    return;
  }

  it('cancels a query running past DB_STATEMENT_TIMEOUT_MS with ERR_DB_STATEMENT_TIMEOUT, and the pool serves on', async () => {
    const e = track(createDbEngine(settingsFor(target, { DB_STATEMENT_TIMEOUT_MS: 300 })));
    const started = performance.now();
    const error = await sleepy(e.db, target.sleepSql(5));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(DbError);
    expect((error as DbError).code).toBe('ERR_DB_STATEMENT_TIMEOUT');
    expect((error as DbError).message).toContain('DB_STATEMENT_TIMEOUT_MS');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2500);
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(e.db);
    expect(Number(rows[0]?.one)).toBe(1);
  });

  it('runs a query unbounded when DB_STATEMENT_TIMEOUT_MS=0 turns the bound off', async () => {
    const e = track(createDbEngine(settingsFor(target, { DB_STATEMENT_TIMEOUT_MS: 0 })));
    const { rows } = await sql.raw<Record<string, unknown>>(target.sleepSql(0.4)).execute(e.db);
    expect(rows).toHaveLength(1);
  });

  it('cuts a query to a hung server at the client-side deadline instead of waiting forever', async () => {
    const proxy = await startTcpProxy(target.server?.host ?? '127.0.0.1', target.server?.port ?? 0);
    proxies.push(proxy);
    const e = track(
      createDbEngine(
        settingsFor(target, {
          DATABASE_URL: urlFor(target, { port: proxy.port }),
          DB_STATEMENT_TIMEOUT_MS: 300,
        }),
      ),
    );
    await sql`select 1`.execute(e.db);
    proxy.stall();
    const started = performance.now();
    const error = await caught(sql`select 1`.execute(e.db));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(DbError);
    expect((error as DbError).code).toBe('ERR_DB_STATEMENT_TIMEOUT');
    expect(elapsed).toBeLessThan(3000);
  });

  it('keeps the health check ok and quick while DB_POOL_MAX=2 is saturated by two slow queries', async () => {
    const e = track(createDbEngine(settingsFor(target, { DB_POOL_MAX: 2 }), { acquireTimeoutMs: 5000 }));
    // Warm the health connection so the measurement below is the saturated case, not a first connect.
    expect((await e.check()).status).toBe('ok');
    const slow = [sleepy(e.db, target.sleepSql(3)), sleepy(e.db, target.sleepSql(3))];
    await vi.waitFor(() => expect(e.poolStats()).toMatchObject({ used: 2 }));
    const started = performance.now();
    const result = await e.check();
    const elapsed = performance.now() - started;
    expect(result.status).toBe('ok');
    expect(elapsed).toBeLessThan(1000);
    expect(e.poolStats().used).toBe(2);
    await Promise.allSettled(slow);
  });

  it('bounds the health check by its own timeout when the server hangs', async () => {
    const proxy = await startTcpProxy(target.server?.host ?? '127.0.0.1', target.server?.port ?? 0);
    proxies.push(proxy);
    const e = track(
      createDbEngine(settingsFor(target, { DATABASE_URL: urlFor(target, { port: proxy.port }) }), {
        healthTimeoutMs: 300,
      }),
    );
    expect((await e.check()).status).toBe('ok');
    proxy.stall();
    const started = performance.now();
    const result = await e.check();
    expect(result).toMatchObject({ status: 'fail', meta: { code: 'ERR_DB_STATEMENT_TIMEOUT' } });
    expect(performance.now() - started).toBeLessThan(1500);
  });
});

describe('the health check on embedded Pglite', () => {
  it('answers ok at once while a transaction holds the single embedded connection', async () => {
    const sink = logSink();
    const e = track(createDbEngine(settingsFor(PGLITE), { logger: sink.logger, acquireTimeoutMs: 5000 }));
    expect((await e.check()).status).toBe('ok');
    await e.db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      const started = performance.now();
      const result = await e.check();
      expect(result.status).toBe('ok');
      expect(performance.now() - started).toBeLessThan(1000);
    });
  }, 120_000);
});
