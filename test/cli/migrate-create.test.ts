import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigration, migrationStamp, migrationTemplate } from '../../src/cli/migrate-create.js';
import { ensureCliBuilt } from './build.js';
import { runCli, scratchDir } from './helpers.js';

const SLOW = 240_000;
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const PG = 'postgres://postgres@127.0.0.1:5432/test';
const run8 = randomBytes(4).toString('hex');
const prefixes: string[] = [];
/** PostgreSQL settings with bookkeeping tables of their own, dropped after the file. */
function pgEnv(name: string): Record<string, string> {
  const prefix = `m8create_${run8}_${name}`;
  prefixes.push(prefix);
  return { SELECTED_DB: 'Postgres', DATABASE_URL: PG, TABLES_PREFIX: prefix };
}

let scratch: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  await ensureCliBuilt();
  scratch = await scratchDir();
}, SLOW);
afterAll(async () => {
  const client = new pg.Client({ connectionString: PG });
  await client.connect();
  for (const prefix of prefixes) {
    for (const table of ['kysely_migration', 'kysely_migration_lock']) {
      await client.query(`drop table if exists "${prefix}_${table}"`);
    }
  }
  await client.end();
  await scratch.cleanup();
});

/** A fresh project folder under the scratch directory, with the given files. */
async function project(name: string, files: Record<string, string> = {}): Promise<string> {
  const dir = path.join(scratch.dir, name);
  await mkdir(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content);
  }
  return dir;
}

const CREATED = /^created (migrations\/(\d{14})_add_items\.(\w+))\n$/;

describe('express-m8 migrate create', () => {
  it('writes a timestamped template, creating the folder, and prints its path', async () => {
    const cwd = await project('plain');
    const before = migrationStamp(new Date());
    const run = await runCli(['migrate', 'create', 'add_items', '--ext', 'ts'], { cwd });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [, file, stamp, ext] = CREATED.exec(run.stdout) ?? [];
    expect(ext).toBe('ts');
    expect(Number(stamp)).toBeGreaterThanOrEqual(Number(before));
    expect(Number(stamp)).toBeLessThanOrEqual(Number(migrationStamp(new Date())));
    const text = await readFile(path.join(cwd, file as string), 'utf8');
    expect(text).toBe(migrationTemplate(`${stamp}_add_items`, 'ts'));
    expect(text).toContain('export async function up(db: Kysely<any>): Promise<void>');
    expect(text).toContain('export async function down(db: Kysely<any>): Promise<void>');
  });

  it.each([
    ['the newest migration file type', { 'migrations/001_a.cjs': 'module.exports = { up() {} };' }, 'cjs'],
    ['ts beside a tsconfig.json', { 'tsconfig.json': '{}' }, 'ts'],
    ['js in an ES module package', { 'package.json': '{"type":"module"}' }, 'js'],
    ['mjs in a CommonJS package', { 'package.json': '{}' }, 'mjs'],
  ])('defaults to %s', async (_label, files, ext) => {
    const cwd = await project(`default-${ext}-${Object.keys(files).length}-${String(_label).length}`, files);
    const run = await runCli(['migrate', 'create', 'add_items'], { cwd });
    expect(run.code).toBe(0);
    expect(CREATED.exec(run.stdout)?.[3]).toBe(ext);
  });

  it('honours --dir', async () => {
    const cwd = await project('dir');
    const run = await runCli(['migrate', 'create', 'x', '--dir', 'db/m', '--ext', 'mjs'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^created db\/m\/\d{14}_x\.mjs\n$/);
    expect(await readdir(path.join(cwd, 'db/m'))).toEqual([expect.stringMatching(/^\d{14}_x\.mjs$/)]);
  });

  it('never overwrites a file: the same name in the same second exits 1 and leaves it alone', async () => {
    const dir = await project('no-overwrite');
    const now = new Date('2026-01-02T03:04:05.678Z');
    const out: string[] = [];
    const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => out.push(s) };
    expect(await createMigration('x', dir, 'mjs', io, now)).toBe(0);
    const file = path.join(dir, '20260102030405_x.mjs');
    await writeFile(file, 'mine');
    expect(await createMigration('x', dir, 'mjs', io, now)).toBe(1);
    expect(out[1]).toBe(`express-m8 migrate create: cannot write ${file} (EEXIST)\n`);
    expect(await readFile(file, 'utf8')).toBe('mine');
  });

  it(
    'templates of every type run as they are: up and down on PostgreSQL (ts under tsx)',
    async () => {
      const cwd = await project('run', { 'package.json': '{}' });
      for (const ext of ['mjs', 'cjs', 'ts']) {
        const run = await runCli(['migrate', 'create', `step_${ext}`, '--ext', ext], { cwd });
        expect(run.code).toBe(0);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const env = pgEnv('run');
      const up = await runCli(['migrate', 'up'], { cwd, env, nodeArgs: ['--import', tsx] });
      expect(up.stderr).toBe('');
      expect(up.code).toBe(0);
      expect(up.stdout).toContain('3 migrations applied');
      const history = await runCli(['migrate', 'history'], { cwd, env });
      expect(history.code).toBe(0);
      expect(history.stdout).toContain('3 applied');
      const down = await runCli(['migrate', 'down'], { cwd, env, nodeArgs: ['--import', tsx] });
      expect(down.code).toBe(0);
      expect(down.stdout).toContain('1 migration reverted');
    },
    SLOW,
  );

  it(
    'history marks applied migrations whose file left the folder',
    async () => {
      const cwd = await project('gone', {
        'migrations/001_kept.mjs': 'export async function up() {}\n',
        'migrations/002_gone.mjs': 'export async function up() {}\n',
      });
      const env = pgEnv('gone');
      expect((await runCli(['migrate', 'up'], { cwd, env })).code).toBe(0);
      await import('node:fs/promises').then((fs) => fs.rm(path.join(cwd, 'migrations/002_gone.mjs')));
      const history = await runCli(['migrate', 'history'], { cwd, env });
      expect(history.code).toBe(0);
      expect(history.stdout).toMatch(/ {2}\S+Z {2}001_kept\n/);
      expect(history.stdout).toMatch(/ {2}\S+Z {2}002_gone {2}\(its file is not in the folder\)\n/);
    },
    SLOW,
  );
});
