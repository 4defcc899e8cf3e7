import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompatError, type ErrorCode } from '../errors.js';
import { COMPAT_MATRIX, type CompatRow, type DriverName, minorKey, VERSION } from './matrix.js';
import { satisfies } from './range.js';

/** Installed versions to check; `express: null` means express could not be found. */
interface InstalledVersions {
  /** The Node.js version, e.g. `process.versions.node`. */
  readonly node: string;
  /** The installed express version, or `null` when express is not installed. */
  readonly express: string | null;
}

/** One unsupported component found by {@link checkCompat}. */
export interface CompatProblem {
  readonly code: Extract<ErrorCode, 'ERR_COMPAT_NODE' | 'ERR_COMPAT_EXPRESS'>;
  /** `node` or `express`. */
  readonly component: 'node' | 'express';
  /** The version found, or `null` when it is not installed. */
  readonly installed: string | null;
  /** The supported range. */
  readonly range: string;
  /** The shell command that fixes it. */
  readonly fix: string;
  /** One sentence naming all of the above. */
  readonly message: string;
}

/** Options of {@link checkCompat}; every field has the real default. */
export interface CheckCompatOptions {
  /** Installed versions; default: the running Node.js and the express the consumer resolves. */
  readonly versions?: InstalledVersions;
  /** The matrix to read; default {@link COMPAT_MATRIX}. */
  readonly matrix?: Readonly<Record<string, CompatRow>>;
  /** The express-m8 version whose row applies; default {@link VERSION}. */
  readonly version?: string;
}

/** The fix for an unsupported Node.js: 22 is an LTS line inside the `node` range of every 0.x row. */
const NODE_FIX = 'nvm install 22';

function rowFor(matrix: Readonly<Record<string, CompatRow>>, version: string): CompatRow {
  const row = matrix[minorKey(version)];
  if (!row) {
    throw new TypeError(`COMPAT_MATRIX has no row "${minorKey(version)}" for express-m8 ${version}`);
  }
  return row;
}

function versionIn(dir: string, name: string): string | null {
  try {
    const manifest: unknown = JSON.parse(
      readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8'),
    );
    const version = (manifest as { version?: unknown }).version;
    return typeof version === 'string' ? version : null;
  } catch {
    return null;
  }
}

/**
 * Finds the version of a package as the consumer's code would load it: searched in the `node_modules` folders
 * from `cwd` upwards first (the consumer's project), then from this module's folder upwards (a linked or
 * nested install). Reads `package.json` directly, because some packages (PGlite) do not export it.
 * `null` when the package is not installed.
 * @example
 * installedVersion('express'); // '5.1.0'
 * installedVersion('@electric-sql/pglite'); // '0.2.17'
 */
export function installedVersion(name: string, cwd: string = process.cwd()): string | null {
  for (const start of [path.resolve(cwd), path.dirname(fileURLToPath(import.meta.url))]) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const version = versionIn(dir, name);
      if (version !== null) return version;
      if (path.dirname(dir) === dir) break;
    }
  }
  return null;
}

/**
 * Checks installed versions against the matrix row of an express-m8 version. Pure: reads nothing unless
 * `versions` is omitted. An empty array means compatible.
 * @example
 * checkCompat({ versions: { node: '18.20.4', express: '5.1.0' } })[0]?.code; // 'ERR_COMPAT_NODE'
 * @throws TypeError when the matrix has no row for `version` (a packaging bug).
 */
export function checkCompat(options: CheckCompatOptions = {}): CompatProblem[] {
  const version = options.version ?? VERSION;
  const row = rowFor(options.matrix ?? COMPAT_MATRIX, version);
  const versions = options.versions ?? { node: process.versions.node, express: installedVersion('express') };
  const problems: CompatProblem[] = [];
  if (!satisfies(versions.node, row.node)) {
    problems.push({
      code: 'ERR_COMPAT_NODE',
      component: 'node',
      installed: versions.node,
      range: row.node,
      fix: NODE_FIX,
      message:
        `express-m8 ${version} needs Node.js ${row.node}, but this is Node.js ${versions.node}. ` +
        `Fix: ${NODE_FIX} (or any Node.js ${row.node}).`,
    });
  }
  if (versions.express === null) {
    problems.push({
      code: 'ERR_COMPAT_EXPRESS',
      component: 'express',
      installed: null,
      range: row.express,
      fix: 'npm install express',
      message: `express-m8 ${version} needs express ${row.express}, but express is not installed. Fix: npm install express`,
    });
  } else if (!satisfies(versions.express, row.express)) {
    const fix = 'npm install express@^5';
    problems.push({
      code: 'ERR_COMPAT_EXPRESS',
      component: 'express',
      installed: versions.express,
      range: row.express,
      fix,
      message: `express-m8 ${version} needs express ${row.express}, but express ${versions.express} is installed. Fix: ${fix}`,
    });
  }
  return problems;
}

/**
 * Throws when the running Node.js or the installed express is unsupported. `src/index.ts` calls it at import,
 * so an unsupported install fails at once with the command that fixes it.
 * @example
 * assertCompatible(); // returns quietly on a supported install
 * @throws CompatError `ERR_COMPAT_NODE` or `ERR_COMPAT_EXPRESS`; the message lists every problem.
 */
export function assertCompatible(options: CheckCompatOptions = {}): void {
  const problems = checkCompat(options);
  const first = problems[0];
  if (first) throw new CompatError(first.code, problems.map((p) => p.message).join('\n'));
}

/**
 * Throws when an installed database driver is outside the matrix range; the database engine calls it when it
 * loads `pg`, `mysql2` or `@electric-sql/pglite`.
 * @example
 * assertDriverCompatible('pg', '8.13.1'); // returns quietly
 * @throws CompatError `ERR_COMPAT_DRIVER` naming the installed version, the range and the npm install command.
 */
export function assertDriverCompatible(
  name: DriverName,
  installedVersion: string,
  options: Pick<CheckCompatOptions, 'matrix' | 'version'> = {},
): void {
  const version = options.version ?? VERSION;
  const range = rowFor(options.matrix ?? COMPAT_MATRIX, version)[name];
  if (satisfies(installedVersion, range)) return;
  throw new CompatError(
    'ERR_COMPAT_DRIVER',
    `express-m8 ${version} needs ${name} ${range}, but ${name} ${installedVersion} is installed. ` +
      `Fix: npm install ${name}@"${range}"`,
  );
}
