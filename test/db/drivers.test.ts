import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { COMPAT_MATRIX } from '../../src/compat/index.js';
import { createDbEngine, type DriverLoader, readDriverVersion } from '../../src/db/index.js';
import { CompatError, DbError } from '../../src/errors.js';
import { testSettings } from '../../src/testing/index.js';

const SERVER_URL = { Postgres: 'postgres://app@127.0.0.1:5432/app', Mysql: 'mysql://app@127.0.0.1:3306/app' };

function settingsOf(kind: 'Pglite' | 'Postgres' | 'Mysql') {
  return kind === 'Pglite'
    ? testSettings({ SELECTED_DB: kind })
    : testSettings({ SELECTED_DB: kind, DATABASE_URL: SERVER_URL[kind] });
}

function notInstalled(asked: string[]): DriverLoader {
  return (name) => {
    asked.push(name);
    throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
  };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('createDbEngine driver loading', () => {
  it.each([
    ['Postgres', 'pg'],
    ['Mysql', 'mysql2'],
    ['Pglite', '@electric-sql/pglite'],
  ] as const)(
    'with SELECTED_DB=%s and %s missing, throws ERR_DB_DRIVER_MISSING naming npm install',
    (kind, pkg) => {
      const asked: string[] = [];
      const error = thrown(() => createDbEngine(settingsOf(kind), { loadDriver: notInstalled(asked) }));
      expect(asked).toEqual([pkg]);
      expect(error).toBeInstanceOf(DbError);
      expect((error as DbError).code).toBe('ERR_DB_DRIVER_MISSING');
      expect((error as DbError).message).toContain(`npm install ${pkg}`);
      expect((error as DbError).message).toContain(`SELECTED_DB=${kind}`);
    },
  );

  it('lets a driver that fails for another reason than being absent throw its own error', () => {
    const broken = new SyntaxError('Unexpected token in pg/lib/index.js');
    const error = thrown(() =>
      createDbEngine(settingsOf('Postgres'), {
        loadDriver: () => {
          throw broken;
        },
      }),
    );
    expect(error).toBe(broken);
  });

  it('throws ERR_COMPAT_DRIVER with the supported range when the installed driver is too old', () => {
    const range = COMPAT_MATRIX['0.1']?.pg ?? '';
    const error = thrown(() => createDbEngine(settingsOf('Postgres'), { driverVersion: () => '7.18.2' }));
    expect(error).toBeInstanceOf(CompatError);
    expect((error as CompatError).code).toBe('ERR_COMPAT_DRIVER');
    expect((error as CompatError).message).toContain('7.18.2');
    expect((error as CompatError).message).toContain(range);
    expect((error as CompatError).message).toContain('npm install pg@');
  });

  it('reads the installed driver versions from their package.json, pglite included', () => {
    const require = createRequire(import.meta.url);
    expect(readDriverVersion('pg')).toBe(require('pg/package.json').version);
    expect(readDriverVersion('mysql2')).toBe(require('mysql2/package.json').version);
    // pglite does not export ./package.json: read it from disk next to its entry point.
    const pglite = JSON.parse(
      readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect(readDriverVersion('@electric-sql/pglite')).toBe(pglite.version);
  });

  it('reports a driver module without the expected export as ERR_DB_DRIVER_MISSING asking to reinstall', () => {
    const error = thrown(() => createDbEngine(settingsOf('Mysql'), { loadDriver: () => ({}) }));
    expect(error).toBeInstanceOf(DbError);
    expect((error as DbError).code).toBe('ERR_DB_DRIVER_MISSING');
    expect((error as DbError).message).toContain('npm install mysql2');
  });
});
