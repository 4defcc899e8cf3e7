import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDbEngine } from '../../src/db/index.js';
import { DbError } from '../../src/errors.js';
import { testSettings } from '../../src/testing/index.js';

describe('createDbEngine with SELECTED_DB=Pglite and PGLITE_DATA_DIR', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'm8-pglite-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps committed rows on disk for the next engine opened on the same directory', async () => {
    const settings = testSettings({ SELECTED_DB: 'Pglite', PGLITE_DATA_DIR: path.join(dir, 'data') });
    const first = createDbEngine(settings);
    expect(first.target).toBe(`pglite:${path.join(dir, 'data')}`);
    await sql`create table kept (id integer primary key, note text not null)`.execute(first.db);
    await sql`insert into kept values (1, 'survives')`.execute(first.db);
    await first.dispose();

    const second = createDbEngine(settings);
    try {
      const { rows } = await sql<{ note: string }>`select note from kept where id = 1`.execute(second.db);
      expect(rows).toEqual([{ note: 'survives' }]);
    } finally {
      await second.dispose();
    }
  }, 120_000);

  it('reports a data directory it cannot use as a failed check and a DbError, without crashing', async () => {
    const file = path.join(dir, 'not-a-directory');
    await writeFile(file, 'x');
    const engine = createDbEngine(testSettings({ SELECTED_DB: 'Pglite', PGLITE_DATA_DIR: file }));
    try {
      const result = await engine.check();
      expect(result).toMatchObject({ name: 'database', status: 'fail', meta: { dialect: 'pglite' } });
      const error = await sql`select 1`.execute(engine.db).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DbError);
      expect((error as DbError).code).toBe('ERR_DB_CONNECTION');
      expect((error as DbError).message).toContain(`pglite:${file}`);
    } finally {
      await engine.dispose();
    }
  }, 120_000);
});
