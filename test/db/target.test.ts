import { describe, expect, it } from 'vitest';
import { type DbSettings, resolveDbTarget, scrubDbText } from '../../src/db/index.js';
import { SettingsError } from '../../src/errors.js';

const NONE: DbSettings = {
  SELECTED_DB: 'Postgres',
  DB_HOST: undefined,
  DB_PORT: undefined,
  DB_DATABASE: undefined,
  DB_USER: undefined,
  DB_PASSWORD: undefined,
  DATABASE_URL: undefined,
  PGLITE_DATA_DIR: undefined,
  DB_POOL_MAX: 10,
};

describe('resolveDbTarget', () => {
  it('lets DATABASE_URL override the DB_* fields and shows the password as ***', () => {
    const target = resolveDbTarget({
      ...NONE,
      DB_HOST: 'ignored.example',
      DB_USER: 'ignored',
      DB_PASSWORD: 'ignored-secret',
      DATABASE_URL: 'postgresql://svc:s3cr%40t-Pw@db.internal:6543/orders?sslmode=require',
    });
    expect(target).toMatchObject({
      host: 'db.internal',
      port: 6543,
      user: 'svc',
      password: 's3cr@t-Pw',
      database: 'orders',
      poolMax: 10,
    });
    expect(target.display).toBe('postgres://svc:***@db.internal:6543/orders');
    expect(target.secrets).toEqual(['s3cr@t-Pw', 's3cr%40t-Pw']);
  });

  it('assembles the DB_* fields with the default port of the database and no *** when there is no password', () => {
    const target = resolveDbTarget({
      ...NONE,
      SELECTED_DB: 'Mysql',
      DB_HOST: 'maria',
      DB_USER: 'app',
      DB_DATABASE: 'shop',
    });
    expect(target.display).toBe('mysql://app@maria:3306/shop');
    expect(target.url).toBeUndefined();
  });

  it('describes PGlite as in memory or by its directory, with one connection', () => {
    expect(resolveDbTarget({ ...NONE, SELECTED_DB: 'Pglite' })).toMatchObject({
      display: 'pglite:memory',
      poolMax: 1,
    });
    expect(resolveDbTarget({ ...NONE, SELECTED_DB: 'Pglite', PGLITE_DATA_DIR: '/var/lib/app' }).display).toBe(
      'pglite:/var/lib/app',
    );
  });

  it('rejects a DATABASE_URL of another database by variable name, without echoing the URL', () => {
    const url = 'mysql://root:Hunter2-Secret@h:3306/d';
    let error: unknown;
    try {
      resolveDbTarget({ ...NONE, DATABASE_URL: url });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).issues[0]?.variable).toBe('DATABASE_URL');
    expect((error as SettingsError).message).not.toContain('Hunter2-Secret');
  });

  it('requires DB_HOST when a server database has no DATABASE_URL', () => {
    expect(() => resolveDbTarget(NONE)).toThrow(/DB_HOST/);
  });
});

describe('scrubDbText', () => {
  it('removes URL credentials, password= pairs and known secrets', () => {
    const text = 'failed for postgres://u:p4ss@h/db with password=hunter22; then "TopSecret9" leaked';
    const out = scrubDbText(text, ['TopSecret9']);
    expect(out).toBe('failed for postgres://***:***@h/db with password=***; then "***" leaked');
  });
});
