import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { assertDriverCompatible, type DriverName } from '../compat/index.js';
import { DbError } from '../errors.js';
import type { SelectedDb } from '../settings/types.js';

/** Loads a driver module by package name; throws (e.g. `MODULE_NOT_FOUND`) when it is not installed. */
export type DriverLoader = (name: DriverName) => unknown;
/** Returns the installed version of a driver package, or `undefined` when it cannot be read. */
export type DriverVersionReader = (name: DriverName) => string | undefined;

/** The driver package each `SELECTED_DB` needs. */
const DRIVER_FOR: Readonly<Record<SelectedDb, DriverName>> = Object.freeze({
  Pglite: '@electric-sql/pglite',
  Postgres: 'pg',
  Mysql: 'mysql2',
});

// Resolve from the consumer's project first (where `npm install pg` puts it), then from this package.
const requireFromCwd = createRequire(path.join(process.cwd(), 'noop.js'));
const requireFromHere = createRequire(import.meta.url);

function resolveDriver(name: string): string {
  try {
    return requireFromCwd.resolve(name);
  } catch {
    return requireFromHere.resolve(name);
  }
}

/** The real loader: `require` of the package, resolved from the working directory, then from express-m8. */
export const defaultDriverLoader: DriverLoader = (name) => requireFromHere(resolveDriver(name));

/**
 * Reads `version` from the driver's package.json, found by walking up from its resolved entry point
 * (`@electric-sql/pglite` does not export `./package.json`).
 */
export const defaultDriverVersion: DriverVersionReader = (name) => {
  let dir: string;
  try {
    dir = path.dirname(resolveDriver(name));
  } catch {
    return undefined;
  }
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (manifest.name === name && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // no package.json here: keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
};

function isModuleNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
}

/**
 * Loads the driver for `kind` and checks its version against `COMPAT_MATRIX`.
 * @throws DbError `ERR_DB_DRIVER_MISSING` naming the `npm install` command when the package is absent.
 * @throws CompatError `ERR_COMPAT_DRIVER` when the installed version is outside the supported range.
 */
export function loadDriver(kind: SelectedDb, load: DriverLoader, readVersion: DriverVersionReader): unknown {
  const name = DRIVER_FOR[kind];
  let mod: unknown;
  try {
    mod = load(name);
  } catch (error) {
    if (isModuleNotFound(error)) {
      throw new DbError(
        'ERR_DB_DRIVER_MISSING',
        `SELECTED_DB=${kind} needs the ${name} package, which is not installed. Fix: npm install ${name}`,
        { cause: error },
      );
    }
    throw error;
  }
  const version = readVersion(name);
  if (version !== undefined) assertDriverCompatible(name, version);
  return mod;
}
