import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type CliIo, UsageError } from './io.js';

/** The file types `migrate create` writes. */
const MIGRATION_EXTENSIONS = ['ts', 'mts', 'js', 'mjs', 'cjs'] as const;
export type MigrationExtension = (typeof MIGRATION_EXTENSIONS)[number];

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

function esmTemplate(name: string, typed: boolean): string {
  const param = typed ? 'db: Kysely<any>' : 'db';
  const returns = typed ? ': Promise<void>' : '';
  const doc = typed ? '' : "/** @param {import('kysely').Kysely<any>} db */\n";
  return `${typed ? "import type { Kysely } from 'kysely';\n\n" : ''}// ${name}: apply with \`npx express-m8 migrate up\`, revert with \`npx express-m8 migrate down\`.
// A migration must not import your app's code: it has to run the same way after that code has changed.

${doc}export async function up(${param})${returns} {
  // await db.schema.createTable('item').addColumn('id', 'serial', (col) => col.primaryKey()).execute();
}

${doc}export async function down(${param})${returns} {
  // await db.schema.dropTable('item').execute();
}
`;
}

function cjsTemplate(name: string): string {
  return `// ${name}: apply with \`npx express-m8 migrate up\`, revert with \`npx express-m8 migrate down\`.
// A migration must not import your app's code: it has to run the same way after that code has changed.

module.exports = {
  /** @param {import('kysely').Kysely<any>} db */
  async up(db) {
    // await db.schema.createTable('item').addColumn('id', 'serial', (col) => col.primaryKey()).execute();
  },
  /** @param {import('kysely').Kysely<any>} db */
  async down(db) {
    // await db.schema.dropTable('item').execute();
  },
};
`;
}

/** The body of a new migration file. */
export function migrationTemplate(name: string, ext: MigrationExtension): string {
  if (ext === 'cjs') return cjsTemplate(name);
  return esmTemplate(name, ext === 'ts' || ext === 'mts');
}

/** `20261204153000`: UTC, sorts in creation order. */
export function migrationStamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * The project's file type: that of the newest existing migration; else `ts` when the working directory has a
 * tsconfig.json; else `js` in an ES module package (`"type": "module"`), `mjs` otherwise.
 */
async function defaultExtension(dir: string, cwd: string): Promise<MigrationExtension> {
  const names = existsSync(dir) ? (await readdir(dir)).filter((f) => !/\.d\.[cm]?ts$/.test(f)).sort() : [];
  for (const file of names.reverse()) {
    const ext = file.slice(file.lastIndexOf('.') + 1);
    if ((MIGRATION_EXTENSIONS as readonly string[]).includes(ext)) return ext as MigrationExtension;
    if (ext === 'cts') return 'ts';
  }
  if (existsSync(path.join(cwd, 'tsconfig.json'))) return 'ts';
  try {
    const pkg = JSON.parse(readFileSync(path.join(cwd, 'package.json'), 'utf8')) as { type?: unknown };
    return pkg.type === 'module' ? 'js' : 'mjs';
  } catch {
    return 'mjs';
  }
}

/**
 * `express-m8 migrate create <name>`: writes `<UTC stamp>_<name>.<ext>` with `up` and `down` stubs into the
 * folder (created when missing), never over an existing file, and prints its path. Needs no settings.
 */
export async function createMigration(
  name: string | undefined,
  dir: string,
  ext: string | undefined,
  io: CliIo,
  now: Date = new Date(),
): Promise<number> {
  if (name === undefined) throw new UsageError('migrate create needs a name, e.g. migrate create add_items');
  if (!NAME.test(name)) {
    throw new UsageError(
      `migration name ${JSON.stringify(name)}: use letters, digits, "_" and "-", starting with a letter or digit`,
    );
  }
  if (ext !== undefined && !(MIGRATION_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new UsageError(`--ext ${JSON.stringify(ext)}: expected one of ${MIGRATION_EXTENSIONS.join(', ')}`);
  }
  const chosen = (ext as MigrationExtension | undefined) ?? (await defaultExtension(dir, process.cwd()));
  const base = `${migrationStamp(now)}_${name}`;
  const file = path.join(dir, `${base}.${chosen}`);
  await mkdir(dir, { recursive: true });
  try {
    await writeFile(file, migrationTemplate(base, chosen), { flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    io.stderr(`express-m8 migrate create: cannot write ${file} (${code ?? String(error)})\n`);
    return 1;
  }
  io.stdout(`created ${path.relative(process.cwd(), file) || file}\n`);
  return 0;
}
