import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Migration, MigrationProvider } from 'kysely';

const MIGRATION = /\.(?:js|mjs|cjs|ts|mts|cts)$/;
const TS = /\.(?:ts|mts|cts)$/;
const DECLARATION = /\.d\.(?:ts|mts|cts)$/;
/** Node's errors for a TypeScript file it cannot run: no type stripping, or syntax stripping cannot erase. */
const NO_TYPESCRIPT = new Set(['ERR_UNKNOWN_FILE_EXTENSION', 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX']);

/** A migration file that cannot be loaded: the message names the file and the fix. */
class MigrationLoadError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'MigrationLoadError';
  }
}

function isMigration(value: unknown): value is Migration {
  return typeof value === 'object' && value !== null && typeof (value as { up?: unknown }).up === 'function';
}

/** The way to run TypeScript migrations, for an error message. */
const TYPESCRIPT_FIX =
  'run the CLI under tsx (npx tsx node_modules/express-m8/dist/cli/index.js migrate …), ' +
  'use Node.js >= 22.18 or >= 23.6 (which strip types), or write the migration as .js/.mjs';

function loadError(file: string, error: unknown): MigrationLoadError {
  const code = (error as { code?: unknown } | null)?.code;
  const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
  if (TS.test(file) && code === 'ERR_UNKNOWN_FILE_EXTENSION') {
    return new MigrationLoadError(
      `migration ${file} is TypeScript and this Node.js (${process.version}) runs no TypeScript loader: ` +
        `${TYPESCRIPT_FIX}. Nothing was run.`,
      file,
    );
  }
  if (TS.test(file) && typeof code === 'string' && NO_TYPESCRIPT.has(code)) {
    return new MigrationLoadError(
      `migration ${file} uses TypeScript that Node.js type stripping cannot run (${detail}): ` +
        `run the CLI under tsx or use only erasable syntax. Nothing was run.`,
      file,
    );
  }
  return new MigrationLoadError(`migration ${file} cannot be loaded: ${detail}. Nothing was run.`, file);
}

/**
 * Reads kysely migrations from a folder: each file exports `up(db)` (and `down(db)` to be reversible), as
 * named exports or on `default`; the name is the file name without its extension, applied in name order.
 * Unlike kysely's `FileMigrationProvider` it imports by file URL (Windows-safe), reads `.cjs`, and refuses a
 * file without `up`, two files with one name, or a `.ts` file this Node.js cannot load, instead of skipping
 * them silently (a skipped migration would later look like a corrupted history).
 */
export class FolderMigrationProvider implements MigrationProvider {
  readonly #folder: string;
  #loaded: Promise<Record<string, Migration>> | undefined;

  constructor(folder: string) {
    this.#folder = folder;
  }

  /** The migration file names of the folder, sorted (`.d.ts` and other files left out). */
  async files(): Promise<string[]> {
    const entries = await readdir(this.#folder, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && MIGRATION.test(e.name) && !DECLARATION.test(e.name))
      .map((e) => e.name)
      .sort();
  }

  /**
   * Imports every migration once (later calls share the result).
   * @throws MigrationLoadError naming the first file that cannot be loaded and the fix.
   */
  getMigrations(): Promise<Record<string, Migration>> {
    this.#loaded ??= this.#load();
    return this.#loaded;
  }

  async #load(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    const origin: Record<string, string> = {};
    for (const file of await this.files()) {
      const name = file.slice(0, file.lastIndexOf('.'));
      if (origin[name] !== undefined) {
        throw new MigrationLoadError(
          `two migration files are named ${JSON.stringify(name)}: ${origin[name]} and ${file}`,
          file,
        );
      }
      origin[name] = file;
      let mod: unknown;
      try {
        mod = await import(pathToFileURL(path.join(this.#folder, file)).href);
      } catch (error) {
        throw loadError(file, error);
      }
      const found = isMigration(mod)
        ? mod
        : isMigration((mod as { default?: unknown }).default)
          ? (mod as { default: Migration }).default
          : undefined;
      if (found === undefined) {
        throw new MigrationLoadError(`migration ${file} does not export an up(db) function`, file);
      }
      migrations[name] = found;
    }
    return migrations;
  }
}
