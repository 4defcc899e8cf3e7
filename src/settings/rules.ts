/**
 * Cross-field rules of docs/settings.md and the derived fields (`ALLOWED_ORIGINS`, `DB_PORT` default). A rule that
 * reads a field which already failed its own validation is skipped: that field is reported once, by itself.
 */
import type { SettingsIssue } from '../errors.js';
import { checkHttpUrl, show } from './fields.js';
import { loadPublicKeyFile } from './pem.js';
import type { ParsedFields } from './schema.js';
import {
  type AccessTokenAlgorithmSetting,
  type AsymmetricAlgorithm,
  accessTokenAlgorithms,
  settingList,
} from './types.js';

/** Parsed fields, read only (a hand-built `Settings` object fits too: its lists are readonly). */
type Fields = { readonly [K in keyof ParsedFields]?: ReadonlyLists<ParsedFields[K]> };
type ReadonlyLists<T> = T extends (infer U)[] ? readonly U[] : T;
type Name = keyof ParsedFields;

const DEFAULT_DB_PORTS = { Postgres: 5432, Mysql: 3306 } as const;
const DB_URL_SCHEMES = { Postgres: ['postgres:', 'postgresql:'], Mysql: ['mysql:', 'mariadb:'] } as const;

function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::1';
}

/** `scheme://host[:port]` of an http(s) URL, the form browsers send in `Origin`. */
function originOf(value: string): string {
  return new URL(value).origin;
}

class RuleContext {
  readonly issues: SettingsIssue[] = [];

  constructor(
    readonly f: Fields,
    private readonly failed: ReadonlySet<string>,
  ) {}

  /** True when every named field parsed (so a rule over them can run). */
  ok(...names: Name[]): boolean {
    return names.every((n) => !this.failed.has(n));
  }

  add(variable: string, message: string): void {
    this.issues.push({ variable, message });
  }

  require(variable: Name, because: string): void {
    if (this.ok(variable) && this.f[variable] === undefined)
      this.add(variable, `is required when ${because}`);
  }
}

function tokenRules(c: RuleContext): void {
  const { f } = c;
  if (c.ok('TOKEN_STRICT_VALIDATION') && f.TOKEN_STRICT_VALIDATION) {
    c.require('TOKEN_ISSUER', 'TOKEN_STRICT_VALIDATION=true (tokens must match an exact iss)');
    c.require('TOKEN_AUDIENCE', 'TOKEN_STRICT_VALIDATION=true (tokens must match an exact aud)');
  }
  if (c.ok('ACCESS_TOKEN_ALGORITHM') && f.ACCESS_TOKEN_ALGORITHM !== undefined) {
    const setting = f.ACCESS_TOKEN_ALGORITHM;
    if (setting === 'HS256') c.require('ACCESS_SECRET_KEY', 'ACCESS_TOKEN_ALGORITHM=HS256');
    else if (c.ok('ACCESS_PUBLIC_KEY_FILE', 'JWKS_URI', 'OIDC_DISCOVERY')) keySourceRules(c, setting);
  }
  issuerListRules(c);
  if (c.ok('TOKEN_MODE') && f.TOKEN_MODE === 'stateful') {
    c.require('INTROSPECTION_URL', 'TOKEN_MODE=stateful (revocation is checked there)');
    c.require('PRIVATE_API_SECRET', 'TOKEN_MODE=stateful (it authenticates the revocation check)');
  }
  eventStreamRules(c);
  apiKeyRules(c);
}

function apiKeyRules(c: RuleContext): void {
  const { f } = c;
  if (!c.ok('API_KEYS')) return;
  if (f.API_KEYS === 'local') {
    c.require('API_KEY_PEPPER', 'API_KEYS=local (stored keys are HMAC-SHA256 digests under it)');
  } else if (f.API_KEYS === 'introspect') {
    const why = 'API_KEYS=introspect (keys are checked by the issuer)';
    c.require('INTROSPECTION_URL', `${why}; its base URL is INTROSPECTION_URL minus /jti-status`);
    c.require('PRIVATE_API_SECRET', `${why}; it authenticates the call`);
    c.require('INTERNAL_CLIENT_ID', `${why}; a reply must name this audience_id`);
  }
}

/** An asymmetric deployment needs exactly one source of keys, and a PEM must suit every listed algorithm. */
function keySourceRules(c: RuleContext, setting: AccessTokenAlgorithmSetting): void {
  const { f } = c;
  const discovery = f.OIDC_DISCOVERY === true;
  if (f.ACCESS_PUBLIC_KEY_FILE === undefined && f.JWKS_URI === undefined && !discovery) {
    c.add(
      'ACCESS_PUBLIC_KEY_FILE',
      `(or JWKS_URI, or OIDC_DISCOVERY=true) is required when ACCESS_TOKEN_ALGORITHM=${setting}; none is set`,
    );
  }
  if (discovery && (f.JWKS_URI !== undefined || f.ACCESS_PUBLIC_KEY_FILE !== undefined)) {
    c.add(
      'OIDC_DISCOVERY',
      "is true, so keys come from each issuer's discovery document; unset JWKS_URI and ACCESS_PUBLIC_KEY_FILE",
    );
  }
  if (f.ACCESS_PUBLIC_KEY_FILE !== undefined) {
    const algs = accessTokenAlgorithms(setting) as readonly AsymmetricAlgorithm[];
    const loaded = loadPublicKeyFile(f.ACCESS_PUBLIC_KEY_FILE, algs);
    if ('problems' in loaded) for (const problem of loaded.problems) c.add('ACCESS_PUBLIC_KEY_FILE', problem);
  }
}

/** Several issuers: discovery needs URLs; JWKS_URI is one set for all of them or one set per issuer. */
function issuerListRules(c: RuleContext): void {
  const { f } = c;
  if (!c.ok('TOKEN_ISSUER', 'JWKS_URI', 'OIDC_DISCOVERY', 'ACCESS_TOKEN_ALGORITHM')) return;
  const issuers = settingList(f.TOKEN_ISSUER);
  const discovery = f.OIDC_DISCOVERY === true;
  if (discovery && f.ACCESS_TOKEN_ALGORITHM === 'HS256') {
    c.add('OIDC_DISCOVERY', 'needs a public-key ACCESS_TOKEN_ALGORITHM (HS256 keys are never published)');
  }
  if (discovery && issuers.length === 0) {
    c.add('TOKEN_ISSUER', 'is required when OIDC_DISCOVERY=true (the discovery document is found from it)');
  }
  if (discovery) {
    for (const issuer of issuers) {
      const url = checkHttpUrl(issuer);
      if (typeof url === 'string') c.add('TOKEN_ISSUER', `with OIDC_DISCOVERY=true: ${url}`);
    }
  }
  const jwks = settingList(f.JWKS_URI);
  if (jwks.length > 1 && jwks.length !== issuers.length) {
    c.add(
      'JWKS_URI',
      `lists ${jwks.length} URLs but TOKEN_ISSUER lists ${issuers.length} issuers: give one JWKS_URI for all ` +
        'issuers, or one per issuer in the same order',
    );
  }
}

/**
 * The event stream needs the issuer's private API and the signing key. EVENT_SIGNING_ENABLED alone (no stream)
 * demands nothing: the variable is accepted for the rest of the stack.
 */
function eventStreamRules(c: RuleContext): void {
  const { f } = c;
  if (!c.ok('EVENT_STREAM_ENABLED') || !f.EVENT_STREAM_ENABLED) return;
  c.require('INTROSPECTION_URL', 'EVENT_STREAM_ENABLED=true (the stream is served next to it)');
  c.require('PRIVATE_API_SECRET', "EVENT_STREAM_ENABLED=true (it obtains the stream's service token)");
  c.require('INTERNAL_CLIENT_ID', 'EVENT_STREAM_ENABLED=true (it identifies this service to the issuer)');
  c.require('EVENT_SIGNING_KEY', 'EVENT_STREAM_ENABLED=true (stream events are signed with it)');
}

function credentialRules(c: RuleContext): void {
  const { f } = c;
  for (const name of ['HEALTH_DETAIL_CREDENTIAL', 'METRICS_SCRAPE_CREDENTIAL'] as const) {
    const value = f[name];
    if (c.ok(name, 'PRIVATE_API_SECRET') && value !== undefined && value === f.PRIVATE_API_SECRET) {
      c.add(
        name,
        'must differ from PRIVATE_API_SECRET (a leaked probe credential must not grant internal access)',
      );
    }
  }
}

function allowedOrigins(c: RuleContext, productionLike: boolean): string[] {
  const { f } = c;
  const origins: string[] = [];
  const sources: [Name, readonly string[]][] = [
    ['BACKEND_CORS_ORIGINS', c.ok('BACKEND_CORS_ORIGINS') ? (f.BACKEND_CORS_ORIGINS ?? []) : []],
    ['FRONTEND_HOST', c.ok('FRONTEND_HOST') && f.FRONTEND_HOST !== undefined ? [f.FRONTEND_HOST] : []],
  ];
  for (const [variable, values] of sources) {
    for (const value of values) {
      if (variable === 'FRONTEND_HOST' && value.includes('*')) {
        c.add(variable, `must be one URL, without a wildcard, got ${show(value)}`);
        continue;
      }
      const origin = originOf(value);
      if (productionLike && isLoopbackHost(new URL(origin).hostname)) {
        c.add(
          variable,
          `a loopback CORS origin is not allowed in production or strict mode, got ${show(value)}`,
        );
      }
      if (!origins.includes(origin)) origins.push(origin);
    }
  }
  return origins;
}

function productionRules(c: RuleContext, productionLike: boolean): void {
  if (!productionLike) return;
  const { f } = c;
  if (c.ok('ALLOWED_HOSTS') && f.ALLOWED_HOSTS?.includes('*')) {
    c.add('ALLOWED_HOSTS', '"*" is not allowed in production or strict mode; list the host names you serve');
  }
  for (const name of ['JWKS_URI', 'INTROSPECTION_URL'] as const) {
    const given = c.ok(name) ? f[name] : undefined;
    for (const value of name === 'JWKS_URI' ? settingList(given) : given === undefined ? [] : [given]) {
      if (new URL(value).protocol === 'http:') {
        c.add(name, `must use https:// in production or strict mode, got ${show(value)}`);
      }
    }
  }
  if (c.ok('OIDC_DISCOVERY', 'TOKEN_ISSUER') && f.OIDC_DISCOVERY === true) {
    for (const issuer of settingList(f.TOKEN_ISSUER)) {
      if (issuer.startsWith('http://')) {
        c.add(
          'TOKEN_ISSUER',
          `must use https:// with OIDC_DISCOVERY in production or strict mode, got ${show(issuer)}`,
        );
      }
    }
  }
}

/** Which database variables were given at all (not defaulted): the rules below tell "unset" from a default. */
export interface DbPresence {
  /** `SELECTED_DB` (or `SELECTED_DB_FILE`) was set to a non-empty value. */
  readonly SELECTED_DB: boolean;
  /** `DATABASE_URL` came from the `SQLALCHEMY_DATABASE_URI` alias. */
  readonly fromAlias: boolean;
}

const SERVER_DB_CHOICE = 'set SELECTED_DB=Postgres or SELECTED_DB=Mysql';

/**
 * Guards against the silent fallback to a throw-away in-memory Pglite: a server configured (`DB_HOST`,
 * `DATABASE_URL`) without `SELECTED_DB`, or production on an in-memory database. Returns true when it reported.
 */
function selectedDbRules(c: RuleContext, presence: DbPresence): boolean {
  const { f } = c;
  if (!c.ok('SELECTED_DB', 'DB_HOST', 'DATABASE_URL', 'PGLITE_DATA_DIR', 'ENVIRONMENT')) return false;
  if (!presence.SELECTED_DB) {
    const given = [
      f.DB_HOST === undefined ? undefined : 'DB_HOST',
      f.DATABASE_URL === undefined
        ? undefined
        : presence.fromAlias
          ? 'SQLALCHEMY_DATABASE_URI'
          : 'DATABASE_URL',
    ].filter((n) => n !== undefined);
    if (given.length > 0) {
      c.add(
        'SELECTED_DB',
        `is not set but ${given.join(' and ')} ${given.length > 1 ? 'are' : 'is'}: the app would ignore that ` +
          `server and run on a throw-away in-memory Pglite database; ${SERVER_DB_CHOICE} (or unset ${given.join(' and ')} for the embedded Pglite)`,
      );
      return true;
    }
  }
  if (f.ENVIRONMENT === 'production' && f.SELECTED_DB === 'Pglite' && f.PGLITE_DATA_DIR === undefined) {
    c.add(
      'SELECTED_DB',
      `${presence.SELECTED_DB ? 'is Pglite' : 'is not set (default Pglite)'} with no PGLITE_DATA_DIR in ` +
        'ENVIRONMENT=production: every restart would lose the data of a throw-away in-memory database; ' +
        `${SERVER_DB_CHOICE} with DATABASE_URL or DB_HOST, or set PGLITE_DATA_DIR to keep an embedded database on disk`,
    );
    return true;
  }
  return false;
}

function databaseRules(c: RuleContext, presence: DbPresence): number | undefined {
  const { f } = c;
  const reported = selectedDbRules(c, presence);
  if (!c.ok('SELECTED_DB') || f.SELECTED_DB === undefined) return f.DB_PORT;
  const db = f.SELECTED_DB;
  const urlName = presence.fromAlias ? 'SQLALCHEMY_DATABASE_URI' : 'DATABASE_URL';
  if (c.ok('DATABASE_URL') && f.DATABASE_URL !== undefined) {
    let scheme: string | undefined;
    try {
      scheme = new URL(f.DATABASE_URL).protocol;
    } catch {
      scheme = undefined;
    }
    if (db === 'Pglite') {
      // Already reported under SELECTED_DB when it was left unset.
      if (!reported) {
        c.add(
          urlName,
          'is not used with SELECTED_DB=Pglite; unset it, or use PGLITE_DATA_DIR for a data directory',
        );
      }
    } else if (scheme === undefined) {
      c.add(
        urlName,
        `expected a ${DB_URL_SCHEMES[db].join('// or ')}// URL; the value does not parse as a URL`,
      );
    } else if (!(DB_URL_SCHEMES[db] as readonly string[]).includes(scheme)) {
      c.add(
        urlName,
        `expected a ${DB_URL_SCHEMES[db].join('// or ')}// URL for SELECTED_DB=${db}, got scheme ${show(scheme)}`,
      );
    }
  } else if (db !== 'Pglite' && c.ok('DATABASE_URL')) {
    for (const name of ['DB_HOST', 'DB_DATABASE', 'DB_USER'] as const) {
      c.require(name, `SELECTED_DB=${db} and DATABASE_URL is not set`);
    }
  }
  return db === 'Pglite' ? f.DB_PORT : (f.DB_PORT ?? DEFAULT_DB_PORTS[db]);
}

/**
 * The cross-field rules of the token, key-source, revocation, event-stream and API-key variables alone, over
 * fields that passed their own checks except `failed`: the rules `buildAuthDeps` re-applies to a Settings
 * object it did not get from `loadSettings`.
 */
export function authRuleIssues(fields: Fields, failed: ReadonlySet<string>): SettingsIssue[] {
  const c = new RuleContext(fields, failed);
  tokenRules(c);
  return c.issues;
}

/** The outcome of the cross-field pass: issues plus the derived values. */
export interface RulesResult {
  readonly issues: SettingsIssue[];
  readonly ALLOWED_ORIGINS: string[];
  readonly DB_PORT: number | undefined;
}

/** Runs every cross-field rule over the fields that parsed. */
export function applyRules(
  fields: Fields,
  failed: ReadonlySet<string>,
  presence: DbPresence = { SELECTED_DB: true, fromAlias: false },
): RulesResult {
  const c = new RuleContext(fields, failed);
  // Production rules apply when either signal is known to be on; an unparsable one is reported on its own.
  const productionLike = fields.ENVIRONMENT === 'production' || fields.STRICT_PRODUCTION_MODE === true;
  tokenRules(c);
  credentialRules(c);
  const origins = allowedOrigins(c, productionLike);
  productionRules(c, productionLike);
  const dbPort = databaseRules(c, presence);
  return { issues: c.issues, ALLOWED_ORIGINS: origins, DB_PORT: dbPort };
}
