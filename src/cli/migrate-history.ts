import { sql } from 'kysely';
import type { DbEngine } from '../db/index.js';
import { type CliIo, codeOf } from './io.js';

/** SQL errors meaning "no such table": PostgreSQL and PGlite, MySQL and MariaDB. */
const NO_TABLE = new Set(['42P01', 'ER_NO_SUCH_TABLE']);

/** One row of kysely's migration table. */
interface AppliedRow {
  readonly name: string;
  readonly timestamp: string;
}

/**
 * `express-m8 migrate history`: every applied migration with the time it ran, oldest first, read from kysely's
 * bookkeeping table (no migration file is imported). Names whose file is no longer in the folder are marked.
 * `files` is `undefined` when the folder does not exist.
 */
export async function printHistory(
  engine: DbEngine<unknown>,
  table: string,
  files: readonly string[] | undefined,
  io: CliIo,
): Promise<number> {
  let rows: readonly AppliedRow[];
  try {
    const result = await sql<AppliedRow>`select ${sql.ref('name')}, ${sql.ref('timestamp')} from ${sql.table(
      table,
    )} order by ${sql.ref('timestamp')}, ${sql.ref('name')}`.execute(engine.db);
    rows = result.rows;
  } catch (error) {
    const code = codeOf(error);
    if (code === undefined || !NO_TABLE.has(code)) throw error;
    io.stdout(`no migration has been applied (there is no table ${table} yet)\n`);
    return 0;
  }
  const names = new Set((files ?? []).map((f) => f.slice(0, f.lastIndexOf('.'))));
  for (const row of rows) {
    const missing = files !== undefined && !names.has(row.name) ? '  (its file is not in the folder)' : '';
    io.stdout(`  ${row.timestamp}  ${row.name}${missing}\n`);
  }
  io.stdout(`${rows.length} applied\n`);
  return 0;
}
