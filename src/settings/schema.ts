/**
 * The table of every built-in variable (DESIGN §3, §11): one zod schema per field, defaults included.
 * Cross-field rules live in `rules.ts`.
 */
import { isIPv6 } from 'node:net';
import type { z } from 'zod';
import {
  bool,
  checkHttpUrl,
  headerStr,
  httpUrl,
  int,
  list,
  num,
  oneOf,
  optionalList,
  pathPrefix,
  port,
  requiredHttpUrl,
  requiredStr,
  show,
  str,
  strongSecret,
} from './fields.js';
import type { MetricsGroup, Settings } from './types.js';

/** Every metrics group, in the order `all` expands to. */
export const METRICS_GROUP_NAMES = Object.freeze([
  'traffic',
  'performance',
  'reliability',
  'health',
  'auth',
  'db',
  'process',
] as const satisfies readonly MetricsGroup[]);

/** The default `Permissions-Policy`: powerful features off for an API that serves no pages. */
export const DEFAULT_PERMISSIONS_POLICY =
  'accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()';

const REFERRER_POLICIES = new Set([
  'no-referrer',
  'no-referrer-when-downgrade',
  'origin',
  'origin-when-cross-origin',
  'same-origin',
  'strict-origin',
  'strict-origin-when-cross-origin',
  'unsafe-url',
]);

/** Largest whole number of seconds a Node timer can hold (2^31-1 ms). */
const MAX_TIMER_SECONDS = 2_147_483;

function corsOrigin(entry: string): string | undefined {
  if (entry === '*') {
    return '"*" is not allowed: credentials are allowed, so every origin must be listed exactly';
  }
  const url = checkHttpUrl(entry.replace(/\/+$/, ''));
  if (typeof url === 'string') return `${url} (expected origins such as https://app.example.com)`;
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '') {
    return `expected an origin (scheme://host[:port], no path, query or credentials), got ${show(entry)}`;
  }
  return undefined;
}

const HOST_PATTERN =
  /^(\*|(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?)$/i;

function allowedHost(entry: string): string | undefined {
  if (HOST_PATTERN.test(entry)) return undefined;
  // IPv6 literals, bare (`::1`) or bracketed as in a Host header (`[::1]`); no zone id, no port.
  const literal = entry.startsWith('[') && entry.endsWith(']') ? entry.slice(1, -1) : entry;
  if (!literal.includes('%') && isIPv6(literal)) return undefined;
  return `expected host names such as api.example.com or *.example.com, or IP literals such as 10.0.0.7, ::1 or [::1] (no scheme, port or path), got ${show(entry)}`;
}

function metricsGroup(entry: string): string | undefined {
  const e = entry.toLowerCase();
  if (e === 'all' || (METRICS_GROUP_NAMES as readonly string[]).includes(e)) return undefined;
  return `expected "all" or groups among: ${METRICS_GROUP_NAMES.join(', ')}, got ${show(entry)}`;
}

/** A LOG_IGNORE_PATHS entry: a path (`/metrics`) or a path prefix (`/api/health/*`). */
function logIgnorePath(entry: string): string | undefined {
  if (!entry.startsWith('/') || /[\s?#*]/.test(entry.endsWith('/*') ? entry.slice(0, -2) : entry)) {
    return `expected a path such as /metrics or /api/health/*, got "${entry}"`;
  }
  return undefined;
}

const metricsGroups = list(['all'], metricsGroup).transform((entries): MetricsGroup[] => {
  const lower = entries.map((e) => e.toLowerCase());
  if (lower.includes('all')) return [...METRICS_GROUP_NAMES];
  return METRICS_GROUP_NAMES.filter((g) => lower.includes(g));
});

const referrerPolicy = headerStr('strict-origin-when-cross-origin').superRefine((v, ctx) => {
  const bad = (v ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => !REFERRER_POLICIES.has(t));
  if (bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `expected comma-separated tokens among: ${[...REFERRER_POLICIES].join(', ')}, got ${show(v ?? '')}`,
    });
  }
});

const tablesPrefix = str('app').superRefine((v, ctx) => {
  if (v !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,39}$/.test(v)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected an SQL identifier (letters, digits, underscore; not starting with a digit; <= 40 characters), got ${show(v)}`,
    });
  }
});

/**
 * The zod shape of every built-in field except the derived `ALLOWED_ORIGINS`. Rule-dependent parts (PEM files,
 * DB_PORT default, DATABASE_URL scheme, cross-field requirements) are checked in `rules.ts`.
 */
export const SETTINGS_SHAPE = {
  DOMAIN: requiredStr(),
  ENVIRONMENT: oneOf(['local', 'development', 'staging', 'production'], 'required'),
  PROJECT_NAME: requiredStr(),
  STACK_NAME: requiredStr(),
  API_PREFIX: pathPrefix('required') as z.ZodType<string, string | undefined>,
  AUTH_PREFIX: pathPrefix('/auth') as z.ZodType<string, string | undefined>,
  BACKEND_HOST: requiredHttpUrl(),
  FRONTEND_HOST: requiredHttpUrl(),
  BACKEND_CORS_ORIGINS: list('required', corsOrigin),

  TOKEN_MODE: oneOf(['stateless', 'hybrid', 'stateful'], 'stateful'),
  AUTH_SERVICE_ROLE: oneOf(['consumer'], 'consumer', {
    issuer:
      'expected "consumer", got "issuer": express-m8 only consumes (verifies) tokens, it never issues them; ' +
      'issue tokens with fa-auth-m8 and set AUTH_SERVICE_ROLE=consumer here',
  }),
  ACCESS_TOKEN_ALGORITHM: oneOf(['RS256', 'ES256', 'HS256'], 'RS256'),
  ACCESS_PUBLIC_KEY_FILE: str(),
  JWKS_URI: httpUrl(),
  JWKS_CACHE_TTL_SECONDS: int(300, { min: 1, max: MAX_TIMER_SECONDS }),
  ACCESS_SECRET_KEY: strongSecret(),
  REFRESH_SECRET_KEY: strongSecret(),
  ACCESS_TOKEN_EXPIRE_MINUTES: int(30, { min: 1 }),
  TOKEN_STRICT_VALIDATION: bool(true),
  TOKEN_ISSUER: str(),
  TOKEN_AUDIENCE: str(),
  EVENT_SIGNING_ENABLED: bool(true),
  EVENT_SIGNING_KEY: strongSecret(),
  INTROSPECTION_URL: httpUrl(),
  PRIVATE_API_SECRET: headerStr(),
  INTERNAL_CLIENT_ID: headerStr(),
  REVOCATION_CACHE_TTL_SECONDS: int(0, { min: 0, max: MAX_TIMER_SECONDS }),
  ACCESS_REVOCATION_FAILURE_MODE: oneOf(['fail_closed', 'fail_open'], 'fail_closed'),
  INTROSPECTION_MAX_SOCKETS: int(64, { min: 1, max: 1024 }),

  SELECTED_DB: oneOf(['Pglite', 'Postgres', 'Mysql'], 'Pglite'),
  DB_HOST: str(),
  DB_PORT: port(),
  DB_DATABASE: str(),
  DB_USER: str(),
  DB_PASSWORD: str(),
  DATABASE_URL: str(),
  PGLITE_DATA_DIR: str(),
  DB_POOL_MAX: int(10, { min: 1, max: 10_000 }),
  DB_STATEMENT_TIMEOUT_MS: int(10_000, { min: 0, max: MAX_TIMER_SECONDS * 1000 }),
  TABLES_PREFIX: tablesPrefix as z.ZodType<string, string | undefined>,

  METRICS_ENABLED: bool(false),
  METRICS_GROUPS: metricsGroups,
  METRICS_SCRAPE_CREDENTIAL: headerStr(),
  METRICS_PORT: port(),
  HEALTH_DETAIL_CREDENTIAL: headerStr(),

  SET_OPEN_API: bool(true),
  SET_DOCS: bool(true),
  SET_REDOC: bool(true),
  SERVE_DOCS_IN_PRODUCTION: bool(false),
  STRICT_PRODUCTION_MODE: bool(false),
  ALLOWED_HOSTS: list([], allowedHost).transform((hosts) => hosts.map((h) => h.toLowerCase())),

  SECURITY_HEADERS_ENABLED: bool(true),
  HSTS_ENABLED: bool(false),
  HSTS_MAX_AGE: int(31_536_000, { min: 0 }),
  HSTS_INCLUDE_SUBDOMAINS: bool(true),
  CONTENT_SECURITY_POLICY_ENABLED: bool(false),
  CONTENT_SECURITY_POLICY: headerStr(),
  REFERRER_POLICY: referrerPolicy as z.ZodType<string, string | undefined>,
  PERMISSIONS_POLICY: headerStr(DEFAULT_PERMISSIONS_POLICY) as z.ZodType<string, string | undefined>,

  SERVICE_VERSION: str(),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  LOG_IGNORE_PATHS: optionalList(logIgnorePath),
  SHUTDOWN_TIMEOUT_SECONDS: num(25, { min: 0, max: MAX_TIMER_SECONDS }),
  SHUTDOWN_DELAY_SECONDS: num(0, { min: 0, max: MAX_TIMER_SECONDS }),
  REQUEST_TIMEOUT_SECONDS: num(30, { min: 0, max: MAX_TIMER_SECONDS }),
} satisfies Record<Exclude<keyof Settings, 'ALLOWED_ORIGINS'>, z.ZodType<unknown, string | undefined>>;

/** The parsed shape, checked against the public `Settings` contract below. */
export type ParsedFields = { [K in keyof typeof SETTINGS_SHAPE]: z.output<(typeof SETTINGS_SHAPE)[K]> };

// Compile-time guard: every parsed field fits the `Settings` field of the same name.
type Fits = ParsedFields extends Omit<Settings, 'ALLOWED_ORIGINS'> ? true : never;
export const SHAPE_FITS_SETTINGS: Fits = true;

/** Every built-in variable name, including the derived `ALLOWED_ORIGINS`. */
export const SETTINGS_NAMES: readonly string[] = [...Object.keys(SETTINGS_SHAPE), 'ALLOWED_ORIGINS'];
