import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Migration, MigrationProvider } from 'kysely';

const JS = /\.(?:js|mjs|cjs)$/;
const TS = /\.(?:ts|mts|cts)$/;
const DECLARATION = /\.d\.(?:ts|mts|cts)$/;

/**
 * True when a TypeScript loader is active: tsx (`tsx …`, `node --import tsx`) or Node's own type stripping.
 * Only then are `.ts` migrations imported; the built CLI under plain `node` reads `.js`/`.mjs`/`.cjs`.
 */
export function typeScriptLoaderActive(): boolean {
  const features = process.features as { typescript?: unknown };
  if (features.typescript === 'strip' || features.typescript === 'transform') return true;
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  return /\btsx\b/.test(flags);
}

function isMigration(value: unknown): value is Migration {
  return typeof value === 'object' && value !== null && typeof (value as { up?: unknown }).up === 'function';
}

/**
 * Reads kysely migrations from a folder: each file exports `up(db)` (and `down(db)` to be reversible), as
 * named exports or on `default`; the name is the file name without its extension, applied in name order.
 * Unlike kysely's `FileMigrationProvider` it imports by file URL (Windows-safe), reads `.cjs`, and refuses a
 * file without `up` or two files with one name instead of skipping them silently.
 */
export class FolderMigrationProvider implements MigrationProvider {
  readonly #folder: string;
  readonly #typescript: boolean;

  constructor(folder: string, typescript = typeScriptLoaderActive()) {
    this.#folder = folder;
    this.#typescript = typescript;
  }

  /** The migration files that will be read, and `.ts` files skipped for want of a loader. */
  async files(): Promise<{ readonly used: string[]; readonly skippedTs: string[] }> {
    const entries = await readdir(this.#folder, { withFileTypes: true });
    const used: string[] = [];
    const skippedTs: string[] = [];
    for (const entry of entries) {
      if (!entry.isFile() || DECLARATION.test(entry.name)) continue;
      if (JS.test(entry.name)) used.push(entry.name);
      else if (TS.test(entry.name)) (this.#typescript ? used : skippedTs).push(entry.name);
    }
    return { used: used.sort(), skippedTs: skippedTs.sort() };
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    const { used } = await this.files();
    const migrations: Record<string, Migration> = {};
    const origin: Record<string, string> = {};
    for (const file of used) {
      const name = file.slice(0, file.lastIndexOf('.'));
      if (origin[name] !== undefined) {
        throw new Error(`two migration files are named ${JSON.stringify(name)}: ${origin[name]} and ${file}`);
      }
      origin[name] = file;
      const mod: unknown = await import(pathToFileURL(path.join(this.#folder, file)).href);
      const found = isMigration(mod)
        ? mod
        : isMigration((mod as { default?: unknown }).default)
          ? (mod as { default: Migration }).default
          : undefined;
      if (found === undefined) throw new Error(`migration ${file} does not export an up(db) function`);
      migrations[name] = found;
    }
    return migrations;
  }
}
