import { stat } from 'node:fs/promises';
import path from 'node:path';
import { type Kysely, type MigrationResult, Migrator } from 'kysely';
import { apiKeyTables, libraryMigrator } from '../apikeys/index.js';
import { createDbEngine, type DbEngine, resolveDbTarget, scrubDbText } from '../db/index.js';
import type { Settings } from '../settings/index.js';
import { parseCommandArgs, stringOption } from './args.js';
import { type CliIo, codeOf, loadCliSettings, messageOf, UsageError } from './io.js';
import { FolderMigrationProvider } from './migration-files.js';

/** The `express-m8 migrate --help` text. */
export const MIGRATE_USAGE = `Usage: express-m8 migrate up|down|status [--dir migrations]

Runs kysely migrations from a folder against the configured database (SELECTED_DB, DATABASE_URL / DB_*).
  up        apply every pending migration, in name order
  down      revert the last applied migration (one step)
  status    list applied and pending migrations

Migration files export up(db) and down(db) (named or on default). The built CLI runs under plain node and
reads .js, .mjs and .cjs files; .ts/.mts/.cts files are read only under a TypeScript loader
(npx tsx node_modules/express-m8/dist/cli/index.js migrate up). The applied list is kept in the tables
<TABLES_PREFIX>_kysely_migration and <TABLES_PREFIX>_kysely_migration_lock.

With API_KEYS=local, "up" first applies express-m8's own migrations (the <TABLES_PREFIX>_api_keys table),
kept apart in <TABLES_PREFIX>_express_m8_migration; "status" lists them too, "down" never reverts them. The
migrations folder is then optional.

Options:
  --dir PATH    the migrations folder (default ./migrations)
  -h, --help    show this help

Exit codes: 0 done (or nothing to do); 1 a migration or the database failed; 2 bad usage, invalid settings
or a missing folder.
`;

const ACTIONS = ['up', 'down', 'status'] as const;
type Action = (typeof ACTIONS)[number];

const LABEL: Record<MigrationResult['status'], Record<MigrationResult['direction'], string>> = {
  Success: { Up: 'applied', Down: 'reverted' },
  Error: { Up: 'failed', Down: 'failed' },
  NotExecuted: { Up: 'not run', Down: 'not run' },
};

function label(result: MigrationResult, rolledBack: boolean): string {
  // On PostgreSQL/PGlite kysely runs the whole batch in one transaction: a failure undoes the earlier ones.
  const text =
    rolledBack && result.status === 'Success' ? 'rolled back' : LABEL[result.status][result.direction];
  return text.padEnd(11);
}

/** The kysely bookkeeping tables, prefixed like every express-m8 table. */
export function migrationTables(settings: Pick<Settings, 'TABLES_PREFIX'>): {
  readonly table: string;
  readonly lock: string;
} {
  const prefix = settings.TABLES_PREFIX ? `${settings.TABLES_PREFIX}_` : '';
  return { table: `${prefix}kysely_migration`, lock: `${prefix}kysely_migration_lock` };
}

async function isFolder(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

function describe(error: unknown, secrets: readonly string[]): string {
  const code = codeOf(error);
  return scrubDbText(
    `${messageOf(error)}${code && !messageOf(error).includes(code) ? ` (${code})` : ''}`,
    secrets,
  );
}

/** `express-m8 migrate up|down|status`: one line per migration, exit 1 on any failure. */
export async function migrateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { dir: { type: 'string' } }, true);
  if (args.values.help === true) {
    io.stdout(MIGRATE_USAGE);
    return 0;
  }
  const [action, ...extra] = args.positionals;
  if (action === undefined) throw new UsageError('missing the action: up, down or status');
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError(`unknown action ${JSON.stringify(action)}: expected up, down or status`);
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const dir = path.resolve(stringOption(args, 'dir') ?? 'migrations');
  const settings = loadCliSettings(io, 'migrate');
  const library = settings.API_KEYS === 'local' && action !== 'down';
  const hasFolder = await isFolder(dir);
  if (!hasFolder && !library) {
    io.stderr(
      `express-m8 migrate: the migrations folder ${JSON.stringify(dir)} does not exist (use --dir)\n`,
    );
    return 2;
  }
  let engine: DbEngine<unknown>;
  let secrets: readonly string[];
  try {
    secrets = resolveDbTarget(settings).secrets;
    // A migration may legitimately run for minutes (an index build, a backfill): the service's per-query
    // bound would cancel it half-way, so the operator-run CLI leaves it off.
    engine = createDbEngine<unknown>({ ...settings, DB_STATEMENT_TIMEOUT_MS: 0 });
  } catch (error) {
    io.stderr(`express-m8 migrate: cannot use the database: ${messageOf(error)}\n`);
    return 2;
  }
  try {
    if (library) {
      const code = await runLibrary(action as 'up' | 'status', settings, engine, secrets, io);
      if (code !== 0 || !hasFolder) return code;
    }
    return await run(action as Action, dir, settings, engine, secrets, io);
  } finally {
    await engine.dispose();
  }
}

/** express-m8's own migrations (API_KEYS=local): `up` applies them, `status` lists them. */
async function runLibrary(
  action: 'up' | 'status',
  settings: Settings,
  engine: DbEngine<unknown>,
  secrets: readonly string[],
  io: CliIo,
): Promise<number> {
  const tables = apiKeyTables(settings.TABLES_PREFIX);
  const migrator = libraryMigrator(engine.db as Kysely<unknown>, settings.TABLES_PREFIX);
  io.stdout(`migrate ${action}: express-m8 tables on ${engine.target} (table ${tables.migrations})\n`);
  if (action === 'status') {
    try {
      for (const info of await migrator.getMigrations()) {
        io.stdout(
          info.executedAt
            ? `  ${'applied'.padEnd(11)} ${info.name}  (${info.executedAt.toISOString()})\n`
            : `  ${'pending'.padEnd(11)} ${info.name}\n`,
        );
      }
    } catch (error) {
      io.stderr(`express-m8 migrate: ${describe(error, secrets)}\n`);
      return 1;
    }
    return 0;
  }
  const { error, results = [] } = await migrator.migrateToLatest();
  const rolledBack = error !== undefined && engine.db.getExecutor().adapter.supportsTransactionalDdl;
  for (const result of results) io.stdout(`  ${label(result, rolledBack)} ${result.migrationName}\n`);
  if (error !== undefined) {
    io.stderr(`express-m8 migrate up: failed: ${describe(error, secrets)}\n`);
    return 1;
  }
  if (results.length === 0) io.stdout('express-m8 tables up to date\n');
  return 0;
}

async function run(
  action: Action,
  dir: string,
  settings: Settings,
  engine: DbEngine<unknown>,
  secrets: readonly string[],
  io: CliIo,
): Promise<number> {
  const provider = new FolderMigrationProvider(dir);
  const tables = migrationTables(settings);
  const migrator = new Migrator({
    db: engine.db,
    provider,
    migrationTableName: tables.table,
    migrationLockTableName: tables.lock,
  });
  const { skippedTs } = await provider.files();
  io.stdout(`migrate ${action}: ${dir} on ${engine.target} (table ${tables.table})\n`);
  if (skippedTs.length > 0) {
    io.stderr(
      `warning: ${skippedTs.length} TypeScript migration file(s) ignored without a TypeScript loader ` +
        `(${skippedTs.join(', ')}): compile them to .js or run the CLI under tsx\n`,
    );
  }
  if (action === 'status') {
    let infos: Awaited<ReturnType<Migrator['getMigrations']>>;
    try {
      infos = await migrator.getMigrations();
    } catch (error) {
      io.stderr(`express-m8 migrate: ${describe(error, secrets)}\n`);
      return 1;
    }
    for (const info of infos) {
      io.stdout(
        info.executedAt
          ? `  ${'applied'.padEnd(11)} ${info.name}  (${info.executedAt.toISOString()})\n`
          : `  ${'pending'.padEnd(11)} ${info.name}\n`,
      );
    }
    const applied = infos.filter((i) => i.executedAt !== undefined).length;
    io.stdout(`${applied} applied, ${infos.length - applied} pending\n`);
    return 0;
  }
  const { error, results = [] } =
    action === 'up' ? await migrator.migrateToLatest() : await migrator.migrateDown();
  const rolledBack = error !== undefined && engine.db.getExecutor().adapter.supportsTransactionalDdl;
  for (const result of results) io.stdout(`  ${label(result, rolledBack)} ${result.migrationName}\n`);
  if (error !== undefined) {
    io.stderr(`express-m8 migrate ${action}: failed: ${describe(error, secrets)}\n`);
    return 1;
  }
  if (results.length === 0)
    io.stdout(action === 'up' ? 'nothing to apply: up to date\n' : 'nothing to revert\n');
  else
    io.stdout(
      `${results.length} migration${results.length === 1 ? '' : 's'} ${action === 'up' ? 'applied' : 'reverted'}\n`,
    );
  return 0;
}
