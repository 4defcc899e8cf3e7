import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyCommand } from '../../src/cli/api-key.js';
import { runCommand, type SignalSource } from '../../src/cli/exec.js';
import { CliExit } from '../../src/cli/io.js';
import { migrateCommand } from '../../src/cli/migrate.js';
import { prestartCommand } from '../../src/cli/prestart-command.js';
import { DB_PASSWORD } from './helpers.js';
import { cli, recordingIo, tempDir } from './in-process.js';

const PG = 'postgres://postgres@127.0.0.1:5432/test';
const MARIA = 'mysql://root@127.0.0.1:3306/test';
const PEPPER = `Inproc-Pepper-${randomBytes(12).toString('hex')}-Aa1!`;
const CLOSED_PG = `postgres://postgres:${DB_PASSWORD}@127.0.0.1:1/test`;
const SLOW = 120_000;

let scratch: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  scratch = await tempDir();
});
afterAll(() => scratch.cleanup());

const uniquePrefix = () => `m8ip_${randomBytes(4).toString('hex')}`;

/** A migration that creates (down: drops) one table, named in the file (in process, the CLI's env is not process.env). */
function createTable(table: string): string {
  return `export async function up(db) { await db.schema.createTable(${JSON.stringify(table)}).addColumn('id', 'integer').execute(); }
export async function down(db) { await db.schema.dropTable(${JSON.stringify(table)}).execute(); }
`;
}
const FAILING = "export async function up() { throw new Error('migration exploded'); }\n";

async function migrationDir(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(scratch.dir, name);
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(dir, file), text);
  return dir;
}

/** A signal source the test drives. */
class Signals extends EventEmitter implements SignalSource {
  override on(signal: NodeJS.Signals, listener: () => void): this {
    return super.on(signal, listener);
  }
  override off(signal: NodeJS.Signals, listener: () => void): this {
    return super.off(signal, listener);
  }
}

describe('migrate usage errors (in process)', () => {
  it('--help, missing or unknown action, --ext outside create, extra argument', async () => {
    const io = recordingIo();
    expect(await migrateCommand(['--help'], io)).toBe(0);
    expect(io.stdoutText()).toMatch(/^Usage: express-m8 migrate up\|down/);
    for (const [argv, message] of [
      [[], 'missing the action: expected up, down, status, history or create'],
      [['sideways'], 'unknown action "sideways": expected up, down, status, history or create'],
      [['up', '--ext', 'ts'], '--ext is an option of migrate create only'],
      [['up', 'extra'], 'unexpected argument "extra"'],
    ] as const) {
      const run = await cli(['migrate', ...argv]);
      expect(run.code).toBe(2);
      expect(run.stderr.startsWith(`express-m8 migrate: ${message}\n\nUsage: express-m8 migrate`)).toBe(true);
    }
  });

  it('exit 2 for a missing folder and for invalid settings', async () => {
    const dir = path.join(scratch.dir, 'no-such-folder');
    const run = await cli(['migrate', 'up', '--dir', dir]);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `express-m8 migrate: the migrations folder ${JSON.stringify(dir)} does not exist (use --dir)\n`,
    });
    const bad = await cli(['migrate', 'status', '--dir', dir], { TOKEN_MODE: 'nonsense' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^express-m8 migrate: .*TOKEN_MODE/s);
  });

  it('exit 1 before touching the database for a file without up(), two files of one name, a file that throws', async () => {
    const env = { SELECTED_DB: 'Postgres', DATABASE_URL: CLOSED_PG };
    const noUp = await migrationDir('no-up', { '001_a.mjs': 'export const x = 1;\n' });
    const a = await cli(['migrate', 'up', '--dir', noUp], env);
    expect(a).toEqual({
      code: 1,
      stdout: '',
      stderr: 'express-m8 migrate up: migration 001_a.mjs does not export an up(db) function\n',
    });
    const twice = await migrationDir('twice', {
      '001_a.mjs': createTable('x'),
      '001_a.cjs': 'module.exports = { async up() {} };\n',
    });
    const b = await cli(['migrate', 'status', '--dir', twice], env);
    expect(b.code).toBe(1);
    expect(b.stderr).toBe(
      'express-m8 migrate status: two migration files are named "001_a": 001_a.cjs and 001_a.mjs\n',
    );
    const throws = await migrationDir('throws', { '001_a.mjs': "throw new Error('bad import');\n" });
    const c = await cli(['migrate', 'down', '--dir', throws], env);
    expect(c).toEqual({
      code: 1,
      stdout: '',
      stderr: 'express-m8 migrate down: migration 001_a.mjs cannot be loaded: bad import. Nothing was run.\n',
    });
  });

  it(
    'exit 1 naming the unreachable database (password scrubbed) for status and history',
    async () => {
      const env = { SELECTED_DB: 'Postgres', DATABASE_URL: CLOSED_PG };
      const dir = await migrationDir('unreachable', { '001_a.mjs': createTable('never') });
      for (const action of ['status', 'history']) {
        const run = await cli(['migrate', action, '--dir', dir], env);
        expect(run.code).toBe(1);
        expect(run.stdout).toMatch(new RegExp(`^migrate ${action}: `));
        expect(run.stderr).toMatch(
          new RegExp(`^express-m8 migrate${action === 'history' ? ' history' : ''}: `),
        );
        expect(run.stderr + run.stdout).not.toContain(DB_PASSWORD);
      }
    },
    SLOW,
  );
});

describe('migrate on PostgreSQL (in process)', () => {
  const prefix = uniquePrefix();
  const env = { SELECTED_DB: 'Postgres', DATABASE_URL: PG, TABLES_PREFIX: prefix };
  const client = new pg.Client({ connectionString: PG });
  const tables = [
    'one',
    'two',
    'kysely_migration',
    'kysely_migration_lock',
    'api_keys',
    'express_m8_migration',
  ];

  beforeAll(() => client.connect());
  afterAll(async () => {
    for (const t of tables) await client.query(`drop table if exists "${prefix}_${t}"`);
    await client.end();
  });

  async function exists(table: string): Promise<boolean> {
    const { rows } = await client.query('select 1 from information_schema.tables where table_name = $1', [
      `${prefix}_${table}`,
    ]);
    return rows.length === 1;
  }

  it(
    'history before anything ran, status, up, history, down, down, up-to-date',
    async () => {
      const dir = await migrationDir(`pg-${prefix}`, {
        '001_one.mjs': createTable(`${prefix}_one`),
        '002_two.mjs': createTable(`${prefix}_two`),
      });
      const empty = await cli(['migrate', 'history', '--dir', dir], env);
      expect(empty.code).toBe(0);
      expect(empty.stdout).toContain(
        `no migration has been applied (there is no table ${prefix}_kysely_migration yet)\n`,
      );

      const status = await cli(['migrate', 'status', '--dir', dir], env);
      expect(status.code).toBe(0);
      expect(status.stdout.split('\n').slice(1)).toEqual([
        '  pending     001_one',
        '  pending     002_two',
        '0 applied, 2 pending',
        '',
      ]);

      const up = await cli(['migrate', 'up', '--dir', dir], env);
      expect(up.code).toBe(0);
      expect(up.stdout.split('\n').slice(1)).toEqual([
        '  applied     001_one',
        '  applied     002_two',
        '2 migrations applied',
        '',
      ]);
      expect(up.stdout.split('\n')[0]).toMatch(
        /^migrate up: .* on postgres:\/\/.*127\.0\.0\.1:5432\/test \(table m8ip_\w+_kysely_migration\)$/,
      );
      expect(await exists('one')).toBe(true);
      expect(await exists('two')).toBe(true);

      const again = await cli(['migrate', 'up', '--dir', dir], env);
      expect(again.stdout).toMatch(/\nnothing to apply: up to date\n$/);

      const applied = await cli(['migrate', 'status', '--dir', dir], env);
      expect(applied.stdout).toMatch(/ {2}applied {5}001_one {2}\(\d{4}-\d\d-\d\dT[^)]+Z\)\n/);
      expect(applied.stdout).toMatch(/\n2 applied, 0 pending\n$/);

      const down = await cli(['migrate', 'down', '--dir', dir], env);
      expect(down.code).toBe(0);
      expect(down.stdout.split('\n').slice(1)).toEqual(['  reverted    002_two', '1 migration reverted', '']);
      expect(await exists('two')).toBe(false);

      await rm(path.join(dir, '001_one.mjs'));
      const history = await cli(['migrate', 'history', '--dir', dir], env);
      expect(history.code).toBe(0);
      const rows = history.stdout.split('\n').slice(1);
      expect(rows[0]).toMatch(/^ {2}\S.* {2}001_one {2}\(its file is not in the folder\)$/);
      expect(rows.slice(1)).toEqual(['1 applied', '']);
      const noFolder = await cli(['migrate', 'history', '--dir', path.join(scratch.dir, 'gone')], env);
      expect(noFolder.code).toBe(0);
      expect(noFolder.stdout).toMatch(/\n {2}\S.* {2}001_one\n1 applied\n$/);
    },
    SLOW,
  );

  it(
    'a failing batch is rolled back on PostgreSQL (exit 1)',
    async () => {
      const p2 = uniquePrefix();
      const dir = await migrationDir(`pgfail-${p2}`, {
        '001_ok.mjs': createTable(`${p2}_ok`),
        '002_bad.mjs': FAILING,
      });
      const run = await cli(['migrate', 'up', '--dir', dir], { ...env, TABLES_PREFIX: p2 });
      try {
        expect(run.code).toBe(1);
        expect(run.stdout.split('\n').slice(1)).toEqual([
          '  rolled back 001_ok',
          '  failed      002_bad',
          '',
        ]);
        expect(run.stderr).toBe('express-m8 migrate up: failed: migration exploded\n');
        const { rows } = await client.query('select 1 from information_schema.tables where table_name = $1', [
          `${p2}_ok`,
        ]);
        expect(rows).toEqual([]);
        const down = await cli(['migrate', 'down', '--dir', dir], { ...env, TABLES_PREFIX: p2 });
        expect(down.stdout).toMatch(/\nnothing to revert\n$/);
      } finally {
        for (const t of ['ok', 'kysely_migration', 'kysely_migration_lock'])
          await client.query(`drop table if exists "${p2}_${t}"`);
      }
    },
    SLOW,
  );

  it(
    'API_KEYS=local: up applies the express-m8 table without a folder, status lists it; then api-key create/list/revoke',
    async () => {
      const keys = { ...env, API_KEYS: 'local', API_KEY_PEPPER: PEPPER };
      const none = path.join(scratch.dir, 'none');
      const before = await cli(['migrate', 'status', '--dir', none], keys);
      expect(before.code).toBe(0);
      expect(before.stdout).toBe(
        `migrate status: express-m8 tables on postgres://postgres@127.0.0.1:5432/test (table ${prefix}_express_m8_migration)\n  pending     express_m8_0001_api_keys\n`,
      );
      const up = await cli(['migrate', 'up', '--dir', none], keys);
      expect(up.code).toBe(0);
      expect(up.stdout.split('\n').slice(1)).toEqual(['  applied     express_m8_0001_api_keys', '']);
      expect(await exists('api_keys')).toBe(true);
      const again = await cli(['migrate', 'up', '--dir', none], keys);
      expect(again.stdout).toMatch(/\nexpress-m8 tables up to date\n$/);
      const after = await cli(['migrate', 'status', '--dir', none], keys);
      expect(after.stdout).toMatch(/\n {2}applied {5}express_m8_0001_api_keys {2}\(\d{4}-[^)]+Z\)\n$/);

      // api-key create, with role, scopes and lifetime.
      const created = await cli(
        [
          'api-key',
          'create',
          '--name',
          'ci bot',
          '--role',
          'writer',
          '--scopes',
          'a, b,,',
          '--expires-in',
          '2d',
        ],
        keys,
      );
      expect(created.code).toBe(0);
      const key = created.stdout.trimEnd();
      expect(key).toMatch(/^m8_/);
      const id =
        /^created API key (\S+) \(m8_(\w+), role writer, expires \d{4}-[^)]+\); the key above is shown only now/.exec(
          created.stderr,
        );
      expect(id).not.toBeNull();
      const { rows } = await client.query(`select name, role, scopes from "${prefix}_api_keys"`);
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows)).not.toContain(key);

      const second = await cli(['api-key', 'create', '--name', 'plain'], keys);
      expect(second.code).toBe(0);
      expect(second.stderr).toMatch(/role user, expires -\)/);

      const list = await cli(['api-key', 'list'], keys);
      expect(list.code).toBe(0);
      expect(list.stderr).toBe('2 API keys\n');
      const listed = list.stdout.trimEnd().split('\n');
      expect(listed).toHaveLength(2);
      const bot = listed.find((l) => l.includes('name="ci bot"'))!;
      expect(bot).toMatch(
        new RegExp(
          `^${id![1]}  m8_${id![2]}  active   writer  name="ci bot"  scopes=a,b  created=\\S+Z  expires=\\S+Z  revoked=-  last_used=-$`,
        ),
      );
      expect(listed.find((l) => l.includes('name="plain"'))).toContain('scopes=-');
      const json = await cli(['api-key', 'list', '--json'], keys);
      expect((JSON.parse(json.stdout) as { name: string }[]).map((k) => k.name).sort()).toEqual([
        'ci bot',
        'plain',
      ]);

      const revoked = await cli(['api-key', 'revoke', id![1]!], keys);
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toMatch(/ {2}revoked {2}writer {2}.*revoked=\d{4}-/);
      const byPrefix = await cli(['api-key', 'revoke', `m8_${id![2]}`], keys);
      expect(byPrefix.code).toBe(0);
      const unknown = await cli(['api-key', 'revoke', 'nosuchkey'], keys);
      expect(unknown).toEqual({
        code: 1,
        stdout: '',
        stderr: 'express-m8 api-key revoke: no API key has the id or prefix "nosuchkey"\n',
      });
      const badName = await cli(['api-key', 'create', '--name', ''], keys);
      expect(badName.code).toBe(2);
      expect(badName.stderr).toMatch(/^express-m8 api-key: name must be 1–200 characters/);
    },
    SLOW,
  );

  it(
    'api-key against a missing table: exit 1 with the hint; with API_KEYS off: a warning first',
    async () => {
      const p3 = uniquePrefix();
      const run = await cli(['api-key', 'list'], {
        ...env,
        TABLES_PREFIX: p3,
        API_KEYS: 'local',
        API_KEY_PEPPER: PEPPER,
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /^express-m8 api-key list: failed: .*\(42P01\)\n {2}\(is m8ip_\w+_api_keys there\? create it with "express-m8 migrate up" and API_KEYS=local\)\n$/s,
      );
      const create = await cli(['api-key', 'create', '--name', 'x'], {
        ...env,
        TABLES_PREFIX: p3,
        API_KEYS: 'local',
        API_KEY_PEPPER: PEPPER,
      });
      expect(create.code).toBe(1);
      expect(create.stdout).toBe('');
      expect(create.stderr).toMatch(/^express-m8 api-key create: failed: .*\(42P01\)\n/s);
      const off = await cli(['api-key', 'list'], { ...env, TABLES_PREFIX: p3, API_KEY_PEPPER: PEPPER });
      expect(off.stderr).toMatch(
        /^warning: API_KEYS is off, not local: services will not accept these keys\n/,
      );
      expect(off.code).toBe(1);
    },
    SLOW,
  );
});

describe('migrate with API_KEYS=local against an unreachable database (in process)', () => {
  const env = {
    SELECTED_DB: 'Postgres',
    DATABASE_URL: CLOSED_PG,
    API_KEYS: 'local',
    API_KEY_PEPPER: PEPPER,
  };
  it(
    'status and up exit 1 naming the failure, never the password',
    async () => {
      const none = path.join(scratch.dir, 'none-unreachable');
      const status = await cli(['migrate', 'status', '--dir', none], env);
      expect(status.code).toBe(1);
      expect(status.stdout).toMatch(/^migrate status: express-m8 tables on /);
      expect(status.stderr).toMatch(/^express-m8 migrate: .+\n$/);
      const up = await cli(['migrate', 'up', '--dir', none], env);
      expect(up.code).toBe(1);
      expect(up.stderr).toMatch(/^express-m8 migrate up: failed: .+\n$/);
      expect(status.stderr + status.stdout + up.stderr + up.stdout).not.toContain(DB_PASSWORD);
    },
    SLOW,
  );
});

describe('api-key usage (in process)', () => {
  it('help, missing and unknown actions, bad options', async () => {
    for (const argv of [['--help'], ['-h'], ['create', '--help'], ['list', '-h']]) {
      const io = recordingIo();
      expect(await apiKeyCommand(argv, io)).toBe(0);
      expect(io.stdoutText()).toMatch(/^Usage: express-m8 api-key create/);
    }
    for (const [argv, message] of [
      [[], 'missing the action: create, list or revoke'],
      [['rotate'], 'unknown action "rotate": expected create, list or revoke'],
      [['create'], 'create needs --name'],
      [['create', '--name', 'x', '--role', 'god'], '--role must be one of'],
      [
        ['create', '--name', 'x', '--expires-in', '90y'],
        '--expires-in must be a positive number followed by s, m, h, d or w, such as 90d (got "90y")',
      ],
      [['create', '--name', 'x', '--expires-in', '0d'], '--expires-in must be a positive number'],
      [['revoke'], 'revoke needs the key id or prefix'],
      [['revoke', 'a', 'b'], 'unexpected argument "b"'],
      [['list', '--bogus'], "Unknown option '--bogus'"],
    ] as const) {
      const run = await cli(['api-key', ...argv]);
      expect(run.code).toBe(2);
      expect(run.stderr.startsWith(`express-m8 api-key: ${message}`)).toBe(true);
      expect(run.stderr).toContain('\n\nUsage: express-m8 api-key');
    }
  });

  it('exit 2 when the database cannot be used (no pepper for local keys is a settings error)', async () => {
    const io = recordingIo({ API_KEYS: 'local', SELECTED_DB: 'Postgres', DATABASE_URL: PG });
    const error = await apiKeyCommand(['list'], io).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliExit);
    expect((error as CliExit).exitCode).toBe(2);
    expect(io.stderrText()).toContain('API_KEY_PEPPER');
  });
});

describe('migrate on MariaDB (in process)', () => {
  it(
    'a failing batch is not rolled back: the earlier migration stays applied (exit 1)',
    async () => {
      const prefix = uniquePrefix();
      const env = { SELECTED_DB: 'Mysql', DATABASE_URL: MARIA, TABLES_PREFIX: prefix };
      const dir = await migrationDir(`maria-${prefix}`, {
        '001_ok.mjs': createTable(`${prefix}_ok`),
        '002_bad.mjs': FAILING,
      });
      const conn = await mysql.createConnection(MARIA);
      try {
        const run = await cli(['migrate', 'up', '--dir', dir], env);
        expect(run.code).toBe(1);
        expect(run.stdout.split('\n').slice(1)).toEqual([
          '  applied     001_ok',
          '  failed      002_bad',
          '',
        ]);
        const [rows] = await conn.query('select name from ?? order by name', [`${prefix}_kysely_migration`]);
        expect(rows).toEqual([{ name: '001_ok' }]);
        const history = await cli(['migrate', 'history', '--dir', dir], env);
        expect(history.stdout).toMatch(/ {2}001_ok\n1 applied\n$/);
        const none = await cli(['migrate', 'history', '--dir', dir], {
          ...env,
          TABLES_PREFIX: uniquePrefix(),
        });
        expect(none.stdout).toMatch(/no migration has been applied/);
      } finally {
        for (const t of ['ok', 'kysely_migration', 'kysely_migration_lock'])
          await conn.query(`drop table if exists \`${prefix}_${t}\``);
        await conn.end();
      }
    },
    SLOW,
  );
});

describe('migrate on embedded PGlite (in process)', () => {
  it(
    'applies and lists migrations in a PGLITE_DATA_DIR',
    async () => {
      const dataDir = path.join(scratch.dir, 'pgdata');
      const env = { PGLITE_DATA_DIR: dataDir, TABLES_PREFIX: 'app' };
      const dir = await migrationDir('pglite', { '001_items.mjs': createTable('app_items') });
      const up = await cli(['migrate', 'up', '--dir', dir], env);
      expect(up.stderr).toBe('');
      expect(up.code).toBe(0);
      expect(up.stdout.split('\n').slice(1)).toEqual(['  applied     001_items', '1 migration applied', '']);
      const status = await cli(['migrate', 'status', '--dir', dir], env);
      expect(status.stdout).toMatch(/\n1 applied, 0 pending\n$/);
    },
    SLOW,
  );
});

describe('prestart (in process)', () => {
  it('usage: --help, "--" without a command, bad numbers', async () => {
    const io = recordingIo();
    expect(await prestartCommand(['--help'], io)).toBe(0);
    expect(io.stdoutText()).toMatch(/^Usage: express-m8 prestart/);
    for (const [argv, message] of [
      [['--'], '"--" must be followed by a command'],
      [['--max-tries', '0'], '--max-tries must be a whole number >= 1 (got "0")'],
      [['--interval=-1'], '--interval must be a number >= 0 (got "-1")'],
      [['--timeout', '0'], '--timeout must be a number >= 0.001 (got "0")'],
    ] as const) {
      const run = await cli(['prestart', ...argv]);
      expect(run.code).toBe(2);
      expect(run.stderr.startsWith(`express-m8 prestart: ${message}\n\nUsage:`)).toBe(true);
    }
  });

  it('no database configured: exit 0 at once, or the code of the command', async () => {
    const run = await cli(['prestart']);
    expect(run).toEqual({
      code: 0,
      stdout: '',
      stderr:
        '[prestart] no database configured; nothing to wait for (SELECTED_DB, DATABASE_URL, DB_HOST and PGLITE_DATA_DIR are all unset)\n',
    });
    const withCommand = await cli(['prestart', '--', process.execPath, '-e', 'process.exit(4)'], {
      PATH: process.env.PATH,
    });
    expect(withCommand.code).toBe(4);
  });

  it('PostgreSQL answers: exit 0 with one ready line, then the command runs', async () => {
    const io = recordingIo({ SELECTED_DB: 'Postgres', DATABASE_URL: PG });
    expect(await prestartCommand(['--', process.execPath, '-e', 'process.exit(0)'], io, new Signals())).toBe(
      0,
    );
    expect(io.err[0]).toBe(
      '[prestart] waiting for postgres://postgres@127.0.0.1:5432/test (SELECTED_DB=Postgres)\n',
    );
    expect(io.err[1]).toMatch(/^\[prestart\] try 1\/300: database ready \(\d+ ms\)\n$/);
    expect(io.err).toHaveLength(2);
  });

  it(
    'a closed port: retries, then gives up with exit 1 (password never printed)',
    async () => {
      const io = recordingIo({ SELECTED_DB: 'Postgres', DATABASE_URL: CLOSED_PG });
      expect(
        await prestartCommand(['--max-tries', '2', '--interval', '0', '--timeout', '2'], io, new Signals()),
      ).toBe(1);
      const text = io.stderrText();
      expect(text).not.toContain(DB_PASSWORD);
      const lines = text.trimEnd().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[1]).toMatch(
        /^\[prestart\] try 1\/2: database not ready \(ECONNREFUSED\) — retrying in 0s$/,
      );
      expect(lines[2]).toMatch(/^\[prestart\] try 2\/2: database not ready \(ECONNREFUSED\) — giving up: /);
    },
    SLOW,
  );

  it(
    'an unknown database is permanent: exit 2 after one try',
    async () => {
      const io = recordingIo({
        SELECTED_DB: 'Postgres',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/m8_no_such_db',
      });
      expect(await prestartCommand(['--interval', '0'], io, new Signals())).toBe(2);
      expect(io.err[1]).toMatch(
        /^\[prestart\] try 1\/300: permanent error \(ERR_DB_UNKNOWN_DATABASE, 3D000\) — not retrying: /,
      );
      expect(io.err).toHaveLength(2);
    },
    SLOW,
  );

  it(
    'a stop signal while waiting: exits 128+N at once',
    async () => {
      const signals = new Signals();
      const io = recordingIo({ SELECTED_DB: 'Postgres', DATABASE_URL: CLOSED_PG });
      const done = prestartCommand(['--interval', '60'], io, signals);
      // Wait for the first "retrying" line, then send SIGTERM: the 60 s sleep ends at once.
      for (let i = 0; i < 200 && !io.stderrText().includes('retrying in 60s'); i++)
        await new Promise((r) => setTimeout(r, 25));
      expect(signals.listenerCount('SIGTERM')).toBe(1);
      signals.emit('SIGTERM');
      // A second signal changes nothing: the first one decides the exit code.
      signals.emit('SIGINT');
      expect(await done).toBe(143);
      expect(io.err.at(-1)).toBe(
        '[prestart] received SIGTERM while waiting for the database — stopped, exiting 143\n',
      );
      expect(signals.listenerCount('SIGTERM')).toBe(0);
    },
    SLOW,
  );
});

describe('runCommand (in process)', () => {
  it('resolves with the exit code, 127 for a missing command, 126 for one that cannot run, 2 for none', async () => {
    const io = recordingIo({ PATH: process.env.PATH });
    expect(await runCommand([process.execPath, '-e', 'process.exit(3)'], io, new Signals())).toBe(3);
    expect(await runCommand(['m8-no-such-command-xyz'], io, new Signals())).toBe(127);
    expect(io.stderrText()).toBe('[prestart] cannot run "m8-no-such-command-xyz": command not found\n');
    const file = path.join(scratch.dir, 'not-executable.sh');
    await writeFile(file, '#!/bin/sh\nexit 0\n');
    await chmod(file, 0o644);
    const io2 = recordingIo();
    expect(await runCommand([file], io2, new Signals())).toBe(126);
    expect(io2.stderrText()).toMatch(/^\[prestart\] cannot run ".*not-executable\.sh": spawn .*EACCES\n$/);
    expect(await runCommand([], io, new Signals())).toBe(2);
  });

  it('forwards a stop signal to the command and reports 128+N; process.env when io.env is unset', async () => {
    const signals = new Signals();
    const io = { stdout: () => {}, stderr: () => {} };
    const done = runCommand([process.execPath, '-e', 'setTimeout(() => {}, 30000)'], io, signals);
    await new Promise((r) => setTimeout(r, 300));
    signals.emit('SIGTERM');
    expect(await done).toBe(143);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });
});
