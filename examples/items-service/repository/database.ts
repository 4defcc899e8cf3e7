/**
 * The database as kysely sees it. Table names carry `TABLES_PREFIX` (`app_items` by default), so several
 * services, or several test runs, can share one database.
 */
import type { ColumnType } from 'kysely';

/** The row of `<prefix>_items`. Timestamps are written by the service (portable, no DB defaults). */
export interface ItemsTable {
  id: string;
  owner_id: string;
  title: string;
  description: string | null;
  // MySQL/MariaDB store booleans as tinyint(1) and return 0/1.
  done: ColumnType<boolean | number, boolean, boolean>;
  created_at: ColumnType<Date, Date, never>;
  updated_at: ColumnType<Date, Date, Date>;
}

/** The name of the items table for a prefix: `app` → `app_items`. */
export type ItemsTableName = `${string}_items`;

/** The kysely database interface of this service. */
export type ItemsDatabase = { [table: ItemsTableName]: ItemsTable };

/** Every table name derived from `TABLES_PREFIX`, decided once at construction. */
export interface TableNames {
  readonly items: ItemsTableName;
  readonly itemsOwnerIndex: string;
  readonly migrations: string;
  readonly migrationLock: string;
}

/**
 * Table, index and migration-bookkeeping names for a prefix. The migration tables are prefixed too: two
 * services (or test runs) with different prefixes in one database keep separate migration histories.
 * @example
 * tableNames('app').items; // 'app_items'
 */
export function tableNames(prefix: string): TableNames {
  return Object.freeze({
    items: `${prefix}_items` as const,
    itemsOwnerIndex: `${prefix}_items_owner_id_idx`,
    migrations: `${prefix}_kysely_migration`,
    migrationLock: `${prefix}_kysely_migration_lock`,
  });
}
