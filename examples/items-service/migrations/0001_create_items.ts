/**
 * Creates `<prefix>_items` and its owner index, portably: PostgreSQL, PGlite and MySQL/MariaDB.
 * UUIDs are `varchar(36)` (no native uuid type in MySQL), timestamps come from the service (no DB
 * defaults, whose semantics differ), MySQL gets `datetime(3)` and utf8mb4 explicitly.
 *
 * The app runs this through `migrateItems()` with the prefix from its settings. `up`/`down` are the plain
 * kysely migration exports for a file-based runner (`express-m8 migrate --dir …`): they read `TABLES_PREFIX`
 * from the process environment, default `app`.
 *
 * Only erasable TypeScript syntax here (type annotations, `import type`): runtimes that strip types can
 * load the file as is.
 */
import { type Kysely, MysqlAdapter, sql } from 'kysely';

const PREFIX_RULE = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;

function prefixFromEnv(): string {
  const prefix = process.env.TABLES_PREFIX ?? 'app';
  if (!PREFIX_RULE.test(prefix)) {
    throw new Error(`TABLES_PREFIX must be an SQL identifier (letters, digits, underscore), got "${prefix}"`);
  }
  return prefix;
}

function isMysql(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof MysqlAdapter;
}

/** Creates the items table and index for `prefix`. */
export async function createItems(db: Kysely<unknown>, prefix: string): Promise<void> {
  const mysql = isMysql(db);
  const timestamp = mysql ? sql`datetime(3)` : sql`timestamptz`;
  let table = db.schema
    .createTable(`${prefix}_items`)
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('owner_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('title', 'varchar(200)', (c) => c.notNull())
    .addColumn('description', 'varchar(2000)')
    .addColumn('done', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('updated_at', timestamp, (c) => c.notNull());
  if (mysql) table = table.modifyEnd(sql`default character set utf8mb4 collate utf8mb4_unicode_ci`);
  await table.execute();
  await db.schema
    .createIndex(`${prefix}_items_owner_id_idx`)
    .on(`${prefix}_items`)
    .columns(['owner_id', 'created_at'])
    .execute();
}

/** Drops what {@link createItems} created. */
export async function dropItems(db: Kysely<unknown>, prefix: string): Promise<void> {
  // Dropping the table drops its index on every dialect.
  await db.schema.dropTable(`${prefix}_items`).ifExists().execute();
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await createItems(db, prefixFromEnv());
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await dropItems(db, prefixFromEnv());
}
