import { SettingsError, type SettingsIssue } from '../errors.js';
import { MASK } from '../redaction/index.js';
import type { SelectedDb, Settings } from '../settings/types.js';

/** The settings fields the engine reads. */
export type DbSettings = Pick<
  Settings,
  | 'SELECTED_DB'
  | 'DB_HOST'
  | 'DB_PORT'
  | 'DB_DATABASE'
  | 'DB_USER'
  | 'DB_PASSWORD'
  | 'DATABASE_URL'
  | 'PGLITE_DATA_DIR'
  | 'DB_POOL_MAX'
> &
  /** Absent (a hand-made settings object): the default 10000 ms. */
  Partial<Pick<Settings, 'DB_STATEMENT_TIMEOUT_MS'>>;

/** Where the engine connects, resolved once at construction. */
export interface DbTarget {
  readonly kind: SelectedDb;
  /** `postgres://user:***@host:5432/db`, `mysql://…` or `pglite:memory` / `pglite:<dir>`: safe to log. */
  readonly display: string;
  /** Secret strings that must never appear in an error or log line (the password, plain and encoded). */
  readonly secrets: readonly string[];
  /** Set when `DATABASE_URL` is used: handed to the driver untouched (keeps `sslmode` etc.). */
  readonly url: string | undefined;
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly database: string | undefined;
  readonly dataDir: string | undefined;
  readonly poolMax: number;
}

const SCHEMES: Record<Exclude<SelectedDb, 'Pglite'>, readonly string[]> = {
  Postgres: ['postgres:', 'postgresql:'],
  Mysql: ['mysql:', 'mariadb:'],
};
const DEFAULT_PORT = { Postgres: 5432, Mysql: 3306 } as const;
const DISPLAY_SCHEME = { Postgres: 'postgres', Mysql: 'mysql' } as const;

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Resolves the connection target from the settings: `DATABASE_URL` wins over the `DB_*` fields.
 * @throws SettingsError `ERR_SETTINGS_INVALID` when the URL is unparsable, has the wrong scheme, or
 * neither `DATABASE_URL` nor `DB_HOST` is set for a server database.
 */
export function resolveDbTarget(settings: DbSettings): DbTarget {
  const kind = settings.SELECTED_DB;
  const poolMax = Math.max(1, Math.floor(settings.DB_POOL_MAX));
  if (kind === 'Pglite') {
    const dataDir = settings.PGLITE_DATA_DIR || undefined;
    return Object.freeze({
      kind,
      display: dataDir === undefined ? 'pglite:memory' : `pglite:${dataDir}`,
      secrets: [],
      url: undefined,
      host: undefined,
      port: undefined,
      user: undefined,
      password: undefined,
      database: undefined,
      dataDir,
      poolMax: 1,
    });
  }
  const issues: SettingsIssue[] = [];
  let host = settings.DB_HOST;
  let port = settings.DB_PORT;
  let user = settings.DB_USER;
  let password = settings.DB_PASSWORD;
  let database = settings.DB_DATABASE;
  const url = settings.DATABASE_URL || undefined;
  if (url !== undefined) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      // Never echo the value: it carries the password.
      issues.push({
        variable: 'DATABASE_URL',
        message: 'must be a URL like scheme://user:password@host:port/db',
      });
    }
    if (parsed !== undefined) {
      if (!SCHEMES[kind].includes(parsed.protocol)) {
        issues.push({
          variable: 'DATABASE_URL',
          message: `must use ${SCHEMES[kind].join(' or ')}// with SELECTED_DB=${kind} (got ${parsed.protocol}//)`,
        });
      }
      host = parsed.hostname || undefined;
      port = parsed.port === '' ? undefined : Number(parsed.port);
      user = parsed.username === '' ? undefined : safeDecode(parsed.username);
      password = parsed.password === '' ? undefined : safeDecode(parsed.password);
      const path = safeDecode(parsed.pathname.replace(/^\//, ''));
      database = path === '' ? undefined : path;
    }
  } else if (!host) {
    issues.push({
      variable: 'DB_HOST',
      message: `is required with SELECTED_DB=${kind} when DATABASE_URL is unset`,
    });
  }
  if (issues.length > 0) throw new SettingsError(issues);
  const resolvedPort = port ?? DEFAULT_PORT[kind];
  const credentials = user === undefined ? '' : `${encodeURIComponent(user)}${password ? `:${MASK}` : ''}@`;
  const display = `${DISPLAY_SCHEME[kind]}://${credentials}${host ?? 'localhost'}:${resolvedPort}/${database ?? ''}`;
  const secrets: string[] = [];
  // The password itself (plain and URL-encoded); URL credentials are also caught by pattern in scrubText.
  if (password) secrets.push(password, encodeURIComponent(password));
  return Object.freeze({
    kind,
    display,
    secrets: Object.freeze([...new Set(secrets)]),
    url,
    host,
    port: resolvedPort,
    user,
    password,
    database,
    dataDir: undefined,
    poolMax,
  });
}
