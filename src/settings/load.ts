import type { z } from 'zod';
import { SettingsError, type SettingsIssue } from '../errors.js';
import { maskKnownSecrets } from '../redaction/index.js';
import { clean } from './fields.js';
import { applyLocalDefaults } from './local-defaults.js';
import { attachSettingsNotes } from './notes.js';
import { applyRules } from './rules.js';
import { type ParsedFields, SETTINGS_NAMES, SETTINGS_SHAPE } from './schema.js';
import { type EnvRecord, readEnvFile, resolveRaw } from './sources.js';
import type { Settings } from './types.js';
import { likelyTypos } from './typos.js';

/** A consumer's zod object adding its own variables; each field receives the raw string (or `undefined`). */
export type SettingsExtension = z.ZodObject;

/** What `loadSettings` returns: the built-in settings plus the extension's parsed fields, deep-frozen. */
export type LoadedSettings<E extends SettingsExtension | undefined = undefined> = Readonly<
  Settings & (E extends SettingsExtension ? z.output<E> : unknown)
>;

/** Options of {@link loadSettings}. */
export interface LoadSettingsOptions<E extends SettingsExtension | undefined = undefined> {
  /** Used instead of `process.env` when given. */
  env?: Record<string, string | undefined>;
  /** `.env` file: default `.env` in the working directory (skipped when absent); `false` for none. */
  envFile?: string | false;
  /** The consumer's own fields, validated in the same pass and reported in the same `SettingsError`. */
  extend?: E;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

/** Hides the raw value in a message written by a consumer's schema, in case it echoes the input. */
function scrub(message: string, raw: string | undefined): string {
  return maskKnownSecrets(message, [raw]);
}

function parseExtension(
  extend: SettingsExtension,
  raw: Record<string, string | undefined>,
  failed: ReadonlySet<string>,
  issues: SettingsIssue[],
): Record<string, unknown> {
  const input: Record<string, string | undefined> = {};
  const skip = new Set(failed);
  for (const name of Object.keys(extend.shape)) {
    if (SETTINGS_NAMES.includes(name)) {
      issues.push({ variable: name, message: 'is a built-in setting; extend must not redefine it' });
      skip.add(name);
    } else if (!failed.has(name)) {
      input[name] = clean(raw[name]);
    }
  }
  const result = extend.safeParse(input);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const variable = issue.path.length > 0 ? issue.path.map(String).join('.') : '(extend)';
    const top = String(issue.path[0] ?? '');
    if (skip.has(top)) continue;
    const missing = issue.code === 'invalid_type' && top !== '' && input[top] === undefined;
    const message = missing ? `is required but not set (${issue.message})` : scrub(issue.message, input[top]);
    issues.push({ variable, message });
  }
  return {};
}

const DATABASE_URL_ALIAS = 'SQLALCHEMY_DATABASE_URI';

// Settings objects loaded with no database variable at all: SELECTED_DB=Pglite there is the default, not a
// choice. Kept beside the frozen object (not a field) so the public Settings shape stays as documented.
const noDatabaseConfigured = new WeakSet<object>();

/**
 * Whether `settings` name a database: `SELECTED_DB`, `DATABASE_URL` (or its alias), `DB_HOST` or
 * `PGLITE_DATA_DIR` was set. False only for an object returned by `loadSettings` where all of them were unset
 * (the default in-memory Pglite); objects built any other way count as configured. Internal (the CLI's
 * `prestart` has nothing to wait for then).
 */
export function isDatabaseConfigured(settings: object): boolean {
  return !noDatabaseConfigured.has(settings);
}

/**
 * Reads `SQLALCHEMY_DATABASE_URI` (the name fastapi-m8 services use, `_FILE` variant included) into `DATABASE_URL`
 * when that is unset, so one `.env` serves the whole stack; `DATABASE_URL` wins when both are set. SQLAlchemy's
 * `+driver` suffix (`postgresql+psycopg://`, `mysql+pymysql://`) names a Python driver and is dropped.
 * @returns true when the alias supplied the value.
 */
function readDatabaseUrlAlias(
  raw: Record<string, string | undefined>,
  failed: Set<string>,
  env: EnvRecord,
  file: EnvRecord,
  issues: SettingsIssue[],
): boolean {
  if (failed.has('DATABASE_URL') || clean(raw['DATABASE_URL']) !== undefined) return false;
  const alias = resolveRaw([DATABASE_URL_ALIAS], env, file, issues);
  if (alias.failed.has(DATABASE_URL_ALIAS)) {
    failed.add('DATABASE_URL');
    return true;
  }
  const value = clean(alias.values[DATABASE_URL_ALIAS]);
  if (value === undefined) return false;
  raw['DATABASE_URL'] = value.replace(/^(postgres|postgresql|mysql|mariadb)\+[A-Za-z0-9_]+:/i, '$1:');
  return true;
}

/**
 * Reads, validates and deep-freezes the settings (docs/settings.md): `process.env` (or `env`) over a `.env` file, with
 * `X_FILE` indirections. Every problem is collected and thrown at once.
 *
 * @example
 * const settings = loadSettings({ extend: z.object({ STRIPE_KEY: z.string() }) });
 * settings.STRIPE_KEY; // typed string
 * @throws {SettingsError} `ERR_SETTINGS_INVALID` listing each problem by variable name.
 */
export function loadSettings<E extends SettingsExtension | undefined = undefined>(
  options: LoadSettingsOptions<E> = {},
): LoadedSettings<E> {
  const issues: SettingsIssue[] = [];
  const env: EnvRecord = options.env ?? process.env;
  const file = readEnvFile(options.envFile, issues);
  const extensionNames = options.extend ? Object.keys(options.extend.shape) : [];
  const names = [
    ...Object.keys(SETTINGS_SHAPE),
    ...extensionNames.filter((n) => !SETTINGS_NAMES.includes(n)),
  ];
  const { values: raw, failed: sourceFailed } = resolveRaw(names, env, file, issues);
  const failed = new Set<string>(sourceFailed);
  const fromAlias = readDatabaseUrlAlias(raw, failed, env, file, issues);
  const notes = applyLocalDefaults(raw, failed);
  const fields: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(SETTINGS_SHAPE)) {
    if (failed.has(name)) continue;
    const result = (schema as z.ZodType<unknown, string | undefined>).safeParse(raw[name]);
    if (result.success) {
      fields[name] = result.data;
    } else {
      failed.add(name);
      for (const issue of result.error.issues) issues.push({ variable: name, message: issue.message });
    }
  }
  const rules = applyRules(fields as Partial<ParsedFields>, failed, {
    SELECTED_DB: failed.has('SELECTED_DB') || clean(raw['SELECTED_DB']) !== undefined,
    fromAlias,
  });
  issues.push(...rules.issues);
  const extension = options.extend ? parseExtension(options.extend, raw, failed, issues) : {};
  if (issues.length > 0) throw new SettingsError(issues);

  const settings: Record<string, unknown> = {};
  for (const name of Object.keys(SETTINGS_SHAPE)) {
    settings[name] = name === 'DB_PORT' ? rules.DB_PORT : fields[name];
    if (name === 'BACKEND_CORS_ORIGINS') settings['ALLOWED_ORIGINS'] = rules.ALLOWED_ORIGINS;
  }
  Object.assign(settings, extension);
  const frozen = deepFreeze(settings) as LoadedSettings<E>;
  const named = ['SELECTED_DB', 'DATABASE_URL', 'DB_HOST', 'PGLITE_DATA_DIR'].some(
    (name) => clean(raw[name]) !== undefined,
  );
  if (!named) noDatabaseConfigured.add(frozen);
  const known = [...SETTINGS_NAMES, ...extensionNames];
  notes.push(...likelyTypos([...Object.keys(env), ...Object.keys(file)], known));
  attachSettingsNotes(frozen, notes);
  return frozen;
}
