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

// Needs a TypeScript loader: the annotations are not JavaScript.
const TS_MIGRATION = `const t: string = process.env.TABLES_PREFIX + '_t';
export async function up(db: { schema: { createTable(name: string): any } }): Promise<void> {
  await db.schema.createTable(t).addColumn('id', 'integer').execute();
}
`;
/** Node.js >= 22.18 / 23.6 strips types by default (the CLI tests switch it off unless asked). */
const STRIPS_TYPES = Boolean((process.features as { typescript?: unknown }).typescript);

let scratch: { dir: string; cleanup: () => Promise<void> };
let migrations: string;
beforeAll(async () => {
  await ensureCliBuilt();
  scratch = await scratchDir();
  migrations = path.join(scratch.dir, 'migrations');
  await mkdir(migrations);
  await writeFile(path.join(migrations, '001_create_items.mjs'), CREATE_ITEMS);
  await writeFile(path.join(migrations, '002_add_name.cjs'), ADD_NAME);
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

  it('lists every migration as pending before the first run, and history says none was applied', async () => {
    const run = await migrate('status');
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual(['  pending     001_create_items', '  pending     002_add_name']);
    expect(run.stdout).toContain('0 applied, 2 pending');
    const history = await migrate('history');
    expect(history.code).toBe(0);
    expect(history.stdout).toContain(
      `no migration has been applied (there is no table ${prefix}_kysely_migration yet)`,
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

  it('history lists the applied migrations with the time each ran, oldest first', async () => {
    const run = await migrate('history');
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual([
      expect.stringMatching(/^ {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {2}001_create_items$/),
      expect.stringMatching(/^ {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}002_add_name$/),
    ]);
    expect(run.stdout).toContain('2 applied');
    const { rows } = await client.query(`select timestamp from "${prefix}_kysely_migration" order by name`);
    expect(lines(run.stdout)[0]).toContain(rows[0].timestamp);
  });

  it('reverts the last migration with down', async () => {
    const run = await migrate('down');
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual(['  reverted    002_add_name']);
    expect(await columns()).toEqual(['id']);
    const status = await migrate('status');
    expect(status.stdout).toContain('1 applied, 1 pending');
  });

  it(
    'refuses .ts migrations without a loader (exit 1, nothing recorded), runs them under tsx',
    async () => {
      const dir = path.join(scratch.dir, 'ts-migrations');
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, '001_ts_table.ts'), TS_MIGRATION);
      const tsPrefix = `${prefix}_ts`;
      const tsEnv = { ...env, TABLES_PREFIX: tsPrefix };
      const tables = async () =>
        (
          await client.query<{ table_name: string }>(
            'select table_name from information_schema.tables where table_name like $1 order by table_name',
            [`${tsPrefix}_%`],
          )
        ).rows.map((r) => r.table_name);
      try {
        for (const action of ['up', 'status']) {
          const plain = await runCli(['migrate', action, '--dir', dir], { env: tsEnv, cwd: scratch.dir });
          expect(plain.code).toBe(1);
          expect(plain.stderr).toContain(
            `express-m8 migrate ${action}: migration 001_ts_table.ts is TypeScript and this Node.js (${process.version}) runs no TypeScript loader: run the CLI under tsx (npx tsx node_modules/express-m8/dist/cli/index.js migrate …), use Node.js >= 22.18 or >= 23.6 (which strip types), or write the migration as .js/.mjs. Nothing was run.`,
          );
          expect(plain.stdout).not.toContain('up to date');
        }
        expect(await tables()).toEqual([]);

        const withTsx = await runCli(['migrate', 'up', '--dir', dir], {
          env: tsEnv,
          cwd: scratch.dir,
          nodeArgs: ['--import', tsx],
        });
        expect(withTsx.code).toBe(0);
        expect(lines(withTsx.stdout)).toEqual(['  applied     001_ts_table']);
        expect(await tables()).toEqual([
          `${tsPrefix}_kysely_migration`,
          `${tsPrefix}_kysely_migration_lock`,
          `${tsPrefix}_t`,
        ]);

        // Later, without the loader: a clear refusal again, not a "corrupted migrations" report.
        const later = await runCli(['migrate', 'up', '--dir', dir], { env: tsEnv, cwd: scratch.dir });
        expect(later.code).toBe(1);
        expect(later.stderr).toContain('001_ts_table.ts is TypeScript');
        expect(later.stderr).not.toMatch(/corrupt/i);
        // history reads the table only: it works without a loader.
        const history = await runCli(['migrate', 'history', '--dir', dir], { env: tsEnv, cwd: scratch.dir });
        expect(history.code).toBe(0);
        expect(lines(history.stdout)).toEqual([expect.stringMatching(/^ {2}\S+Z {2}001_ts_table$/)]);
      } finally {
        for (const table of ['t', 'kysely_migration', 'kysely_migration_lock']) {
          await client.query(`drop table if exists "${tsPrefix}_${table}"`);
        }
      }
    },
    SLOW,
  );

  it.runIf(STRIPS_TYPES)(
    'runs .ts migrations with Node.js type stripping, without tsx',
    async () => {
      const dir = path.join(scratch.dir, 'ts-strip');
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, '001_ts_table.ts'), TS_MIGRATION);
      const stripPrefix = `${prefix}_strip`;
      try {
        const run = await runCli(['migrate', 'up', '--dir', dir], {
          env: { ...env, TABLES_PREFIX: stripPrefix },
          cwd: scratch.dir,
          nodeArgs: [],
        });
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        expect(lines(run.stdout)).toEqual(['  applied     001_ts_table']);
      } finally {
        for (const table of ['t', 'kysely_migration', 'kysely_migration_lock']) {
          await client.query(`drop table if exists "${stripPrefix}_${table}"`);
        }
      }
    },
    SLOW,
  );

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
    [[], 'missing the action: expected up, down, status, history or create'],
    [['create'], 'migrate create needs a name'],
    [['create', 'bad name'], 'migration name "bad name": use letters'],
    [['create', 'ok', '--ext', 'py'], '--ext "py": expected one of ts, mts, js, mjs, cjs'],
    [['up', '--ext', 'ts'], '--ext is an option of migrate create only'],
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
