import express from 'express';
import {
  type AuthDeps,
  createApp,
  createDbEngine,
  type DbEngine,
  type M8App,
  type ServeOptions,
  type serve,
} from 'express-m8';
import { testSettings } from 'express-m8/testing';
import request from 'supertest';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';

const CREDENTIAL = 'Detail-Credential-0123456789abcdef';

/** The PostgreSQL of test/db/helpers/targets.ts; only the check names are read, so a failing check would do too. */
function settingsWithDb() {
  return testSettings({
    SELECTED_DB: 'Postgres',
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
    HEALTH_DETAIL_CREDENTIAL: CREDENTIAL,
  });
}

const apps: M8App[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.stop();
});

async function checkNames(app: M8App): Promise<string[]> {
  const res = await request(app).get('/api/health').set('X-Internal-Token', CREDENTIAL);
  return (res.body as { checks: Array<{ name: string }> }).checks.map((check) => check.name);
}

describe('objects built before createApp attach through one internal seam', () => {
  it('keeps the seam out of the public types: no symbol keys on AuthDeps or DbEngine, serve() takes ServeOptions', () => {
    expectTypeOf<Extract<keyof AuthDeps, symbol>>().toEqualTypeOf<never>();
    expectTypeOf<Extract<keyof DbEngine<unknown>, symbol>>().toEqualTypeOf<never>();
    expectTypeOf<Parameters<typeof serve>[1]>().toEqualTypeOf<ServeOptions | undefined>();
  });

  it('adds the database check of an engine once, after the consumer checks, even when the consumer lists it', async () => {
    const settings = settingsWithDb();
    const engine = createDbEngine<unknown>(settings);
    const own = async () => ({ name: 'cache', status: 'ok' as const });
    const listed = createApp(settings, express.Router(), {
      lifecycle: { db: engine },
      health: { checks: [own, engine.check] },
    });
    const unlisted = createApp(settings, express.Router(), {
      lifecycle: { db: engine },
      health: { checks: [own] },
    });
    apps.push(listed, unlisted);
    await listed.start();
    await unlisted.start();
    expect(await checkNames(listed)).toEqual(['cache', 'database']);
    expect(await checkNames(unlisted)).toEqual(['cache', 'database']);
  });

  it('attaches a spread copy of an engine, and skips a hand-written lifecycle.db', async () => {
    const settings = settingsWithDb();
    const engine = createDbEngine<unknown>(settings);
    const copied = createApp(settings, express.Router(), { lifecycle: { db: { ...engine } } });
    const handWritten = createApp(settings, express.Router(), {
      lifecycle: { db: { dispose: () => engine.dispose() } },
    });
    apps.push(copied, handWritten);
    await copied.start();
    await handWritten.start();
    expect(await checkNames(copied)).toEqual(['database']);
    expect(await checkNames(handWritten)).toEqual([]);
  });
});
