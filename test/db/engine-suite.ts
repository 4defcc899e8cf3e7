import { inspect } from 'node:util';
import { type Kysely, sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { attachToApp } from '../../src/attach.js';
import { createDbEngine, type DbEngine } from '../../src/db/index.js';
import { DbError } from '../../src/errors.js';
import { type DbTargetCase, logSink, settingsFor, uniqueName, urlFor } from './helpers/targets.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';

interface ItemRow {
  id: number;
  name: string;
}
type TestDb = Record<string, ItemRow>;

const FAKE_PASSWORD = 'Fake-Pa55word-zq81x';
const DIALECT = { Pglite: 'pglite', Postgres: 'postgres', Mysql: 'mysql' } as const;

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

async function backendId(target: DbTargetCase, db: Kysely<TestDb>): Promise<number> {
  const { rows } = await sql.raw<{ id: number | string }>(target.backendIdSql).execute(db);
  return Number(rows[0]?.id);
}

/** The behaviour every database must show; registered once per target by engine.test.ts. */
export function engineSuite(target: DbTargetCase): void {
  const table = uniqueName('m8_db_items');
  let engine: DbEngine<TestDb>;

  beforeAll(async () => {
    engine = createDbEngine<TestDb>(settingsFor(target, { DB_POOL_MAX: 4 }));
    await sql`create table ${sql.table(table)} (id integer primary key, name varchar(100) not null)`.execute(
      engine.db,
    );
    // A new in-memory PGlite runs initdb: seconds, and much longer on a loaded machine.
  }, 120_000);

  afterAll(async () => {
    if (!engine) return;
    await sql`drop table if exists ${sql.table(table)}`.execute(engine.db);
    await engine.dispose();
  }, 120_000);

  it('inserts and selects rows through kysely', async () => {
    await engine.db
      .insertInto(table)
      .values([
        { id: 1, name: 'one' },
        { id: 2, name: 'two' },
      ])
      .execute();
    const rows = await engine.db
      .selectFrom(table)
      .select(['id', 'name'])
      .where('id', '<=', 2)
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: 1, name: 'one' },
      { id: 2, name: 'two' },
    ]);
    const updated = await engine.db
      .updateTable(table)
      .set({ name: 'uno' })
      .where('id', '=', 1)
      .executeTakeFirst();
    expect(updated.numUpdatedRows).toBe(1n);
  });

  it('keeps the rows of a committed transaction', async () => {
    await engine.db.transaction().execute(async (trx) => {
      await trx.insertInto(table).values({ id: 10, name: 'ten' }).execute();
      await trx.insertInto(table).values({ id: 11, name: 'eleven' }).execute();
    });
    const rows = await engine.db
      .selectFrom(table)
      .select('id')
      .where('id', 'in', [10, 11])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([{ id: 10 }, { id: 11 }]);
  });

  it('keeps none of the rows of a transaction that throws', async () => {
    const boom = new Error('boom');
    const error = await caught(
      engine.db.transaction().execute(async (trx) => {
        await trx.insertInto(table).values({ id: 20, name: 'twenty' }).execute();
        throw boom;
      }),
    );
    expect(error).toBe(boom);
    const rows = await engine.db.selectFrom(table).select('id').where('id', '=', 20).execute();
    expect(rows).toEqual([]);
  });

  it('passes SQL errors through with the driver code and counts them for an observer set later', async () => {
    const seen = { seconds: [] as number[], errors: 0 };
    const logger = pino({ level: 'silent' });
    const db = {
      onQuery: (s: number) => void seen.seconds.push(s),
      onError: () => void seen.errors++,
      poolStats() {},
    };
    attachToApp([engine], { logger, observers: { db } });
    try {
      await engine.db.insertInto(table).values({ id: 30, name: 'thirty' }).execute();
      const error = await caught(engine.db.insertInto(table).values({ id: 30, name: 'again' }).execute());
      expect(error).not.toBeInstanceOf(DbError);
      expect((error as { code?: string }).code).toBe(target.kind === 'Mysql' ? 'ER_DUP_ENTRY' : '23505');
    } finally {
      attachToApp([engine], { logger, observers: {} });
    }
    expect(seen.seconds).toHaveLength(1);
    expect(seen.seconds[0]).toBeGreaterThanOrEqual(0);
    expect(seen.seconds[0]).toBeLessThan(5);
    expect(seen.errors).toBe(1);
  });

  it('reports ok under the name database with its dialect and latency', async () => {
    expect(engine.check.name).toBe('database');
    const result = await engine.check();
    expect(result).toMatchObject({ name: 'database', status: 'ok', meta: { dialect: DIALECT[target.kind] } });
    expect(result.meta?.['latency_ms']).toBeGreaterThanOrEqual(0);
    expect(result.error).toBeUndefined();
  });

  it('can be disposed twice, after which queries and checks fail with ERR_DB_DISPOSED', async () => {
    const e = createDbEngine(settingsFor(target));
    expect((await e.check()).status).toBe('ok');
    await Promise.all([e.dispose(), e.dispose()]);
    await e.dispose();
    const error = await caught(sql`select 1`.execute(e.db));
    expect(error).toBeInstanceOf(DbError);
    expect((error as DbError).code).toBe('ERR_DB_DISPOSED');
    expect(await e.check()).toMatchObject({ status: 'fail', meta: { code: 'ERR_DB_DISPOSED' } });
  });

  it('fails a second acquisition with ERR_DB_POOL_TIMEOUT within the bound while DB_POOL_MAX=1 is held', async () => {
    const e = createDbEngine(settingsFor(target, { DB_POOL_MAX: 1 }), { acquireTimeoutMs: 300 });
    try {
      await e.db.connection().execute(async (held) => {
        await sql`select 1`.execute(held);
        const started = performance.now();
        const pending = caught(sql`select 1`.execute(e.db));
        await vi.waitFor(() => expect(e.poolStats()).toMatchObject({ used: 1, waiting: 1 }));
        const error = await pending;
        const elapsed = performance.now() - started;
        expect(error).toBeInstanceOf(DbError);
        expect((error as DbError).code).toBe('ERR_DB_POOL_TIMEOUT');
        expect((error as DbError).message).toContain('DB_POOL_MAX=1');
        expect(elapsed).toBeGreaterThanOrEqual(280);
        expect(elapsed).toBeLessThan(2000);
        expect(e.poolStats().waiting).toBe(0);
      });
      // The held connection went back: the pool serves again.
      expect((await e.check()).status).toBe('ok');
    } finally {
      await e.dispose();
    }
  });

  const server = target.server;
  if (server === undefined) return;

  it.each([
    ['DATABASE_URL', () => ({ DATABASE_URL: urlFor(target, { user: badUser(), password: FAKE_PASSWORD }) })],
    [
      'the DB_* fields',
      () => ({
        DATABASE_URL: undefined,
        DB_HOST: server.host,
        DB_PORT: server.port,
        DB_DATABASE: server.database,
        DB_USER: badUser(),
        DB_PASSWORD: FAKE_PASSWORD,
      }),
    ],
  ])(
    'rejects wrong credentials given by %s with ERR_DB_AUTH_FAILED and never shows the password',
    async (_, overrides) => {
      const sink = logSink();
      const e = createDbEngine(settingsFor(target, overrides()), { logger: sink.logger });
      try {
        expect(e.target).toContain(':***@');
        expect(e.target).not.toContain(FAKE_PASSWORD);
        const error = await caught(sql`select 1`.execute(e.db));
        expect(error).toBeInstanceOf(DbError);
        expect((error as DbError).code).toBe('ERR_DB_AUTH_FAILED');
        expect(inspect(error, { depth: 10 })).not.toContain(FAKE_PASSWORD);
        const result = await e.check();
        expect(result).toMatchObject({ status: 'fail', meta: { code: 'ERR_DB_AUTH_FAILED' } });
        expect(JSON.stringify(result)).not.toContain(FAKE_PASSWORD);
        expect(sink.lines.length).toBeGreaterThan(0);
        expect(JSON.stringify(sink.lines)).not.toContain(FAKE_PASSWORD);
      } finally {
        await e.dispose();
      }
    },
  );

  it('fails with ERR_DB_UNKNOWN_DATABASE naming a database that does not exist', async () => {
    const missing = uniqueName('m8_missing_db');
    const e = createDbEngine(settingsFor(target, { DATABASE_URL: urlFor(target, { database: missing }) }));
    try {
      const error = await caught(sql`select 1`.execute(e.db));
      expect(error).toBeInstanceOf(DbError);
      expect((error as DbError).code).toBe('ERR_DB_UNKNOWN_DATABASE');
      expect((error as DbError).message).toContain(missing);
    } finally {
      await e.dispose();
    }
  });

  it('turns health fail while the server is unreachable and ok again once it is back, with the same engine', async () => {
    const proxy = await startTcpProxy(server.host, server.port);
    const sink = logSink();
    const e = createDbEngine(
      settingsFor(target, { DATABASE_URL: urlFor(target, { port: proxy.port }), DB_POOL_MAX: 2 }),
      {
        logger: sink.logger,
        acquireTimeoutMs: 1000,
      },
    );
    try {
      expect((await e.check()).status).toBe('ok');
      proxy.down();
      const failed = await e.check();
      expect(failed.status).toBe('fail');
      expect(failed.error).toEqual(expect.any(String));
      proxy.up();
      await vi.waitFor(async () => expect((await e.check()).status).toBe('ok'), {
        timeout: 5000,
        interval: 50,
      });
    } finally {
      await e.dispose();
      await proxy.close();
    }
  });

  it('survives the server killing its connections: the running query fails, the process lives, the pool recovers', async () => {
    const sink = logSink();
    let errors = 0;
    const e = createDbEngine<TestDb>(settingsFor(target, { DB_POOL_MAX: 2 }), {
      logger: sink.logger,
      observer: { onError: () => errors++ },
    });
    const admin = createDbEngine<TestDb>(settingsFor(target));
    try {
      const ids: number[] = [];
      await e.db.connection().execute(async (first) => {
        ids.push(await backendId(target, first));
        await e.db.connection().execute(async (second) => {
          ids.push(await backendId(target, second));
        });
      });
      expect(new Set(ids).size).toBe(2);
      const running = caught(sql.raw(target.sleepSql(10)).execute(e.db));
      await vi.waitFor(() => expect(e.poolStats().used).toBe(1));
      for (const id of ids) await sql.raw(target.killSql(id)).execute(admin.db);
      expect(await running).toBeInstanceOf(Error);
      await vi.waitFor(() => expect(errors).toBeGreaterThanOrEqual(2), { timeout: 5000 });
      expect(sink.lines.some((line) => line.level === 'warn')).toBe(true);
      await vi.waitFor(async () => expect((await e.check()).status).toBe('ok'), {
        timeout: 5000,
        interval: 50,
      });
      const fresh = await backendId(target, e.db);
      expect(ids).not.toContain(fresh);
    } finally {
      await e.dispose();
      await admin.dispose();
    }
  });

  function badUser(): string {
    // PostgreSQL here trusts local connections, so a wrong password alone is accepted: use an unknown role.
    return target.kind === 'Postgres' ? uniqueName('m8_nobody') : (server?.user ?? 'root');
  }
}
