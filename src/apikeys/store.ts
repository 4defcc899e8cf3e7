import { type Kysely, type Migration, type MigrationResult, Migrator } from 'kysely';

/** One row of `{TABLES_PREFIX}_api_keys`. Times are epoch milliseconds (portable across all three databases). */
export interface ApiKeyRow {
  id: string;
  prefix: string;
  secret_hash: string;
  name: string;
  role: string;
  /** Space-separated scopes (`''` for none). */
  scopes: string;
  created_at: number | string | bigint;
  expires_at: number | string | bigint | null;
  revoked_at: number | string | bigint | null;
  last_used_at: number | string | bigint | null;
}

/** Any table name maps to the row type: the name depends on `TABLES_PREFIX`. */
export type ApiKeyDatabase = Record<string, ApiKeyRow>;

/** The table names of the API key store and of the library's own migration bookkeeping. */
export interface ApiKeyTables {
  readonly keys: string;
  readonly migrations: string;
  readonly migrationLock: string;
}

/**
 * The tables for a `TABLES_PREFIX`. The library's migrations keep their own bookkeeping tables, apart from
 * the consumer's `<prefix>_kysely_migration`, so turning API keys on or off never disturbs the order kysely
 * checks in the consumer's list.
 */
export function apiKeyTables(tablesPrefix: string): ApiKeyTables {
  const p = tablesPrefix ? `${tablesPrefix}_` : '';
  return {
    keys: `${p}api_keys`,
    migrations: `${p}express_m8_migration`,
    migrationLock: `${p}express_m8_migration_lock`,
  };
}

/** Epoch milliseconds from a `bigint` column (`pg` gives a string, PGlite and mysql2 a number or bigint). */
export function epochMs(value: number | string | bigint | null): number | null {
  return value === null ? null : Number(value);
}

/** The library's migrations, by name, for one table name. */
function libraryMigrations(tables: ApiKeyTables): Record<string, Migration> {
  const t = tables.keys;
  return {
    express_m8_0001_api_keys: {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable(t)
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('prefix', 'varchar(8)', (c) => c.notNull().unique())
          .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull())
          .addColumn('name', 'varchar(200)', (c) => c.notNull())
          .addColumn('role', 'varchar(16)', (c) => c.notNull())
          .addColumn('scopes', 'varchar(2000)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint')
          .addColumn('revoked_at', 'bigint')
          .addColumn('last_used_at', 'bigint')
          .execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.dropTable(t).execute();
      },
    },
  };
}

/** A kysely Migrator over the library's migrations and bookkeeping tables. */
export function libraryMigrator(db: Kysely<unknown>, tablesPrefix: string): Migrator {
  const tables = apiKeyTables(tablesPrefix);
  const migrations = libraryMigrations(tables);
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: tables.migrations,
    migrationLockTableName: tables.migrationLock,
  });
}

/** Applies every pending library migration; rejects with the first failure (its cause kept). */
export async function migrateLibrary(
  db: Kysely<unknown>,
  tablesPrefix: string,
): Promise<readonly MigrationResult[]> {
  const { error, results = [] } = await libraryMigrator(db, tablesPrefix).migrateToLatest();
  if (error !== undefined) {
    throw new Error(
      `express-m8 migration failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  return results;
}
