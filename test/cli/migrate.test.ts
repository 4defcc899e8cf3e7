import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt } from './build.js';
import { runCli, scratchDir } from './helpers.js';

const PG = 'postgres://postgres@127.0.0.1:5432/test';
const SLOW = 240_000;
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

// Migrations need no imports: they build SQL with the kysely instance they receive. The table name comes from
// TABLES_PREFIX (the CLI passes its environment through), so each test run owns unique tables.
const CREATE_ITEMS = `const t = process.env.TABLES_PREFIX + '_items';
export async function up(db) { await db.schema.createTable(t).addColumn('id', 'integer', (c) => c.primaryKey()).execute(); }
export async function down(db) { await db.schema.dropTable(t).execute(); }
`;
const ADD_NAME = `const t = process.env.TABLES_PREFIX + '_items';
module.exports = {
  async up(db) { await db.schema.alterTable(t).addColumn('name', 'text').execute(); },
  async down(db) { await db.schema.alterTable(t).dropColumn('name').execute(); },
};
`;
const BROKEN = `export default { async up(db) { await db.schema.createTable(process.env.TABLES_PREFIX + '_items').addColumn('id', 'integer').execute(); } };
`;

let scratch: { dir: string; cleanup: () => Promise<void> };
let migrations: string;
beforeAll(async () => {
  await ensureCliBuilt();
  scratch = await scratchDir();
  migrations = path.join(scratch.dir, 'migrations');
  await mkdir(migrations);
  await writeFile(path.join(migrations, '001_create_items.mjs'), CREATE_ITEMS);
  await writeFile(path.join(migrations, '002_add_name.cjs'), ADD_NAME);
  await writeFile(path.join(migrations, '003_later.ts'), 'export async function up() {}\n');
  await writeFile(path.join(migrations, 'README.md'), 'not a migration\n');
}, SLOW);
afterAll(() => scratch.cleanup());

function lines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line.startsWith('  '));
}

describe('express-m8 migrate against PostgreSQL', () => {
  const prefix = `m8cli_${randomBytes(4).toString('hex')}`;
  const env = { SELECTED_DB: 'Postgres', DATABASE_URL: PG, TABLES_PREFIX: prefix };
  const migrate = (...args: string[]) => runCli(['migrate', ...args], { env, cwd: scratch.dir });
  const client = new pg.Client({ connectionString: PG });

  beforeAll(() => client.connect());
  afterAll(async () => {
    for (const table of ['items', 'kysely_migration', 'kysely_migration_lock']) {
      await client.query(`drop table if exists "${prefix}_${table}"`);
    }
    await client.end();
  });

  async function columns(): Promise<string[]> {
    const { rows } = await client.query<{ column_name: string }>(
      'select column_name from information_schema.columns where table_name = $1 order by column_name',
      [`${prefix}_items`],
    );
    return rows.map((r) => r.column_name);
  }

  it('lists every migration as pending before the first run, and warns about .ts files', async () => {
    const run = await migrate('status');
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual(['  pending     001_create_items', '  pending     002_add_name']);
    expect(run.stdout).toContain('0 applied, 2 pending');
    expect(run.stderr).toContain(
      '1 TypeScript migration file(s) ignored without a TypeScript loader (003_later.ts)',
    );
  });

  it('applies the pending migrations in name order from ./migrations, in prefixed bookkeeping tables', async () => {
    const run = await migrate('up');
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual(['  applied     001_create_items', '  applied     002_add_name']);
    expect(run.stdout).toContain(`(table ${prefix}_kysely_migration)`);
    expect(run.stdout).toContain('2 migrations applied');
    expect(await columns()).toEqual(['id', 'name']);
    const { rows } = await client.query(`select name from "${prefix}_kysely_migration" order by name`);
    expect(rows).toEqual([{ name: '001_create_items' }, { name: '002_add_name' }]);
  });

  it('reports up to date when nothing is pending, and status lists both as applied', async () => {
    const again = await migrate('up');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to apply: up to date');
    const status = await migrate('status', '--dir', migrations);
    expect(lines(status.stdout)).toEqual([
      expect.stringMatching(/^ {2}applied {5}001_create_items {2}\(\d{4}-\d\d-\d\dT/),
      expect.stringMatching(/^ {2}applied {5}002_add_name {2}\(/),
    ]);
    expect(status.stdout).toContain('2 applied, 0 pending');
  });

  it('reverts the last migration with down', async () => {
    const run = await migrate('down');
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual(['  reverted    002_add_name']);
    expect(await columns()).toEqual(['id']);
    const status = await migrate('status');
    expect(status.stdout).toContain('1 applied, 1 pending');
  });

  it('reads .ts migrations when the CLI runs under tsx', async () => {
    const run = await runCli(['migrate', 'status'], { env, cwd: scratch.dir, nodeArgs: ['--import', tsx] });
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual([
      expect.stringMatching(/^ {2}applied {5}001_create_items /),
      '  pending     002_add_name',
      '  pending     003_later',
    ]);
    expect(run.stderr).not.toContain('TypeScript migration');
  });

  it('does not cancel a migration running longer than DB_STATEMENT_TIMEOUT_MS', async () => {
    const dir = path.join(scratch.dir, 'slow');
    await mkdir(dir, { recursive: true });
    // A raw compiled query: the migration needs no import to sleep longer than the service's per-query bound.
    await writeFile(
      path.join(dir, '001_slow.mjs'),
      "export async function up(db) { await db.executeQuery({ sql: 'select pg_sleep(0.8)', parameters: [], query: { kind: 'RawNode', sqlFragments: ['select pg_sleep(0.8)'], parameters: [] } }); }\n",
    );
    const slowPrefix = `${prefix}_slow`;
    const run = await runCli(['migrate', 'up', '--dir', dir], {
      env: { ...env, TABLES_PREFIX: slowPrefix, DB_STATEMENT_TIMEOUT_MS: '200' },
      cwd: scratch.dir,
    });
    for (const table of ['kysely_migration', 'kysely_migration_lock']) {
      await client.query(`drop table if exists "${slowPrefix}_${table}"`);
    }
    expect(run.stderr).not.toContain('ERR_DB_STATEMENT_TIMEOUT');
    expect(run.code).toBe(0);
  });

  it('exits 1 naming the failed migration, and reports the batch rolled back', async () => {
    await writeFile(path.join(migrations, '004_broken.mjs'), BROKEN);
    try {
      const run = await migrate('up');
      expect(run.code).toBe(1);
      expect(lines(run.stdout)).toEqual(['  rolled back 002_add_name', '  failed      004_broken']);
      expect(run.stderr).toMatch(/express-m8 migrate up: failed: .*already exists/);
      expect(await columns()).toEqual(['id']);
    } finally {
      await import('node:fs/promises').then((fs) => fs.rm(path.join(migrations, '004_broken.mjs')));
    }
  });
});

describe('express-m8 migrate', () => {
  it(
    'keeps the applied list in the PGlite data directory across runs',
    async () => {
      const env = { PGLITE_DATA_DIR: path.join(scratch.dir, 'pgdata'), TABLES_PREFIX: 'app' };
      const up = await runCli(['migrate', 'up', '--dir', migrations], { env });
      expect(up.code).toBe(0);
      expect(lines(up.stdout)).toEqual(['  applied     001_create_items', '  applied     002_add_name']);
      const down = await runCli(['migrate', 'down', '--dir', migrations], { env });
      expect(lines(down.stdout)).toEqual(['  reverted    002_add_name']);
      const status = await runCli(['migrate', 'status', '--dir', migrations], { env });
      expect(status.code).toBe(0);
      expect(lines(status.stdout)).toEqual([
        expect.stringMatching(/^ {2}applied {5}001_create_items /),
        '  pending     002_add_name',
      ]);
    },
    SLOW,
  );

  it('exits 2 when the migrations folder does not exist', async () => {
    const run = await runCli(['migrate', 'up', '--dir', path.join(scratch.dir, 'nope')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('does not exist (use --dir)');
  });

  it.each([
    [[], 'missing the action: up, down or status'],
    [['sideways'], 'unknown action "sideways"'],
    [['up', 'extra'], 'unexpected argument "extra"'],
    [['up', '--force'], "Unknown option '--force'"],
  ])('exits 2 with the usage for %j', async (args, message) => {
    const run = await runCli(['migrate', ...args], { cwd: scratch.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('Usage: express-m8 migrate');
  });
});
