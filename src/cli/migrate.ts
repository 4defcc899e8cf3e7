import { stat } from 'node:fs/promises';
import path from 'node:path';
import { type Kysely, type MigrationResult, Migrator } from 'kysely';
import { apiKeyTables, libraryMigrator } from '../apikeys/index.js';
import { createDbEngine, type DbEngine, resolveDbTarget, scrubDbText } from '../db/index.js';
import type { Settings } from '../settings/index.js';
import { parseCommandArgs, stringOption } from './args.js';
import { type CliIo, codeOf, loadCliSettings, messageOf, UsageError } from './io.js';
import { createMigration } from './migrate-create.js';
import { printHistory } from './migrate-history.js';
import { FolderMigrationProvider } from './migration-files.js';

/** The `express-m8 migrate --help` text. */
export const MIGRATE_USAGE = `Usage: express-m8 migrate up|down|status|history [--dir migrations]
       express-m8 migrate create <name> [--dir migrations] [--ext ts|mts|js|mjs|cjs]

Runs kysely migrations from a folder against the configured database (SELECTED_DB, DATABASE_URL / DB_*).
  up        apply every pending migration, in name order
  down      revert the last applied migration (one step)
  status    list applied and pending migrations
  history   list the applied migrations with the time each ran, oldest first
  create    write <UTC timestamp>_<name>.<ext> with up/down stubs (no settings needed); --ext defaults to
            the type of the newest migration, else ts beside a tsconfig.json, else js/mjs

Migration files export up(db) and down(db) (named or on default). .js, .mjs and .cjs files run under plain
node; .ts/.mts/.cts files need a TypeScript loader: tsx (npx tsx node_modules/express-m8/dist/cli/index.js
migrate up) or Node.js >= 22.18 / 23.6. A file that cannot be loaded stops the command before anything runs.
The applied list is kept in the tables <TABLES_PREFIX>_kysely_migration and <TABLES_PREFIX>_kysely_migration_lock.

With API_KEYS=local, "up" first applies express-m8's own migrations (the <TABLES_PREFIX>_api_keys table),
kept apart in <TABLES_PREFIX>_express_m8_migration; "status" lists them too, "down" never reverts them. The
migrations folder is then optional.

Options:
  --dir PATH    the migrations folder (default ./migrations)
  --ext EXT     create only: the file type
  -h, --help    show this help

Exit codes: 0 done (or nothing to do); 1 a migration, a migration file or the database failed; 2 bad usage,
invalid settings or a missing folder.
`;

const ACTIONS = ['up', 'down', 'status', 'history', 'create'] as const;
type Action = (typeof ACTIONS)[number];
type DbAction = Exclude<Action, 'create'>;

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
function migrationTables(settings: Pick<Settings, 'TABLES_PREFIX'>): {
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

/** `express-m8 migrate up|down|status|history|create`: one line per migration, exit 1 on any failure. */
export async function migrateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseCommandArgs(argv, { dir: { type: 'string' }, ext: { type: 'string' } }, true);
  if (args.values.help === true) {
    io.stdout(MIGRATE_USAGE);
    return 0;
  }
  const [action, ...extra] = args.positionals;
  const expected = 'expected up, down, status, history or create';
  if (action === undefined) throw new UsageError(`missing the action: ${expected}`);
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError(`unknown action ${JSON.stringify(action)}: ${expected}`);
  }
  const dir = path.resolve(stringOption(args, 'dir') ?? 'migrations');
  const ext = stringOption(args, 'ext');
  if (action === 'create') {
    if (extra.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(extra[1])}`);
    return createMigration(extra[0], dir, ext, io);
  }
  if (ext !== undefined) throw new UsageError('--ext is an option of migrate create only');
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const folder = await isFolder(dir);
  const settings = loadCliSettings(io, 'migrate');
  // API_KEYS=local: `up` and `status` also cover express-m8's own tables, so the folder is optional then.
  const library = settings.API_KEYS === 'local' && (action === 'up' || action === 'status');
  if (!folder && action !== 'history' && !library) {
    io.stderr(
      `express-m8 migrate: the migrations folder ${JSON.stringify(dir)} does not exist (use --dir)\n`,
    );
    return 2;
  }
  const provider = folder ? new FolderMigrationProvider(dir) : undefined;
  if (provider && action !== 'history') {
    // Every file is loaded before the database is touched: a file that cannot run (a .ts file without a
    // loader) stops the command, so nothing is applied or reported up to date on a partial list.
    try {
      await provider.getMigrations();
    } catch (error) {
      io.stderr(`express-m8 migrate ${action}: ${messageOf(error)}\n`);
      return 1;
    }
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
      if (code !== 0 || !folder) return code;
    }
    const context = { dir, provider, settings, engine, secrets, io };
    return await run(action as DbAction, context);
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

interface RunContext {
  readonly dir: string;
  readonly provider: FolderMigrationProvider | undefined;
  readonly settings: Settings;
  readonly engine: DbEngine<unknown>;
  readonly secrets: readonly string[];
  readonly io: CliIo;
}

async function run(action: DbAction, context: RunContext): Promise<number> {
  const { dir, provider, settings, engine, secrets, io } = context;
  const tables = migrationTables(settings);
  io.stdout(`migrate ${action}: ${dir} on ${engine.target} (table ${tables.table})\n`);
  if (action === 'history' || provider === undefined) {
    try {
      return await printHistory(engine, tables.table, await provider?.files(), io);
    } catch (error) {
      io.stderr(`express-m8 migrate history: ${describe(error, secrets)}\n`);
      return 1;
    }
  }
  const migrator = new Migrator({
    db: engine.db,
    provider,
    migrationTableName: tables.table,
    migrationLockTableName: tables.lock,
  });
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
