/**
 * Runs the service's migrations at startup with kysely's Migrator. The migration list is imported
 * statically (no directory scan): it works the same under tsx, a bundler or compiled output.
 */
import { type Kysely, type Migration, type MigrationResult, Migrator, NO_MIGRATIONS } from 'kysely';
import * as createItems from '../migrations/0001_create_items.js';
import { tableNames } from './database.js';

/** The migrations for `prefix`, by name; names sort in the order they must run. */
export function itemsMigrations(prefix: string): Record<string, Migration> {
  return {
    '0001_create_items': {
      up: (db) => createItems.createItems(db, prefix),
      down: (db) => createItems.dropItems(db, prefix),
    },
  };
}

function migratorFor(db: Kysely<unknown>, prefix: string): Migrator {
  const names = tableNames(prefix);
  const migrations = itemsMigrations(prefix);
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: names.migrations,
    migrationLockTableName: names.migrationLock,
  });
}

function check(results: readonly MigrationResult[] | undefined, error: unknown, what: string): string[] {
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`${what} failed${failed ? ` at ${failed}` : ''}`, { cause: error });
  }
  return (results ?? []).map((r) => r.migrationName);
}

/**
 * Brings the schema for `prefix` to the latest migration; returns the names it applied. Safe to run from
 * several replicas at once: the Migrator takes a database lock.
 * @example
 * await migrateItems(engine.db, settings.TABLES_PREFIX);
 * @throws Error naming the failed migration, with the driver error as `cause`.
 */
export async function migrateItems<DB>(db: Kysely<DB>, prefix: string): Promise<string[]> {
  const { results, error } = await migratorFor(db as Kysely<unknown>, prefix).migrateToLatest();
  return check(results, error, 'migrating to latest');
}

/**
 * Undoes every migration for `prefix` and drops the migration bookkeeping tables (tests, teardown).
 * @example
 * await resetItems(engine.db, 't1a2b3');
 */
export async function resetItems<DB>(db: Kysely<DB>, prefix: string): Promise<void> {
  const plain = db as Kysely<unknown>;
  const migrator = migratorFor(plain, prefix);
  const { results, error } = await migrator.migrateTo(NO_MIGRATIONS);
  check(results, error, 'migrating down');
  const names = tableNames(prefix);
  await plain.schema.dropTable(names.migrationLock).ifExists().execute();
  await plain.schema.dropTable(names.migrations).ifExists().execute();
}
