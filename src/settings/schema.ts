/**
 * The table of every built-in variable (docs/settings.md): one zod schema per field, defaults included.
 * Cross-field rules live in `rules.ts`.
 */
import { isIPv6 } from 'node:net';
import { z } from 'zod';
import {
  bool,
  checkHttpUrl,
  clean,
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
import {
  ACCESS_TOKEN_ALGORITHMS,
  type AccessTokenAlgorithm,
  type AccessTokenAlgorithmSetting,
  type MetricsGroup,
  type Settings,
} from './types.js';

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
const DEFAULT_PERMISSIONS_POLICY =
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

/** `scheme://*.domain[:port]`: one `*` standing for exactly one label, under a domain of two labels or more. */
const WILDCARD_ORIGIN =
  /^https?:\/\/\*\.(?:localhost|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)(?::\d{1,5})?\/*$/i;

function corsOrigin(entry: string): string | undefined {
  if (entry === '*') {
    return '"*" is not allowed: credentials are allowed, so every origin must be listed exactly';
  }
  if (entry.includes('*')) {
    const parsed = checkHttpUrl(entry.replace(/\/+$/, ''));
    if (WILDCARD_ORIGIN.test(entry) && typeof parsed !== 'string') return undefined;
    return (
      'a wildcard origin must be scheme://*.domain[:port], the * standing alone for the first label ' +
      `(e.g. https://*.example.com, matching https://app.example.com only), got ${show(entry)}`
    );
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

/** RFC 9110 §5.6.2 token: a header field name. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function headerName(entry: string): string | undefined {
  if (entry === '*') {
    return '"*" is not a wildcard when credentials are allowed (the Fetch standard reads it as a header named *); list the header names';
  }
  return HEADER_NAME.test(entry)
    ? undefined
    : `expected header names such as X-Tenant-ID, got ${show(entry)}`;
}

function metricsPath(entry: string): string | undefined {
  return entry.startsWith('/') && !/[?#\s]/.test(entry)
    ? undefined
    : `expected paths or route templates such as /internal/sync or /items/:id, got ${show(entry)}`;
}

/** `METRICS_PREFIX`: `myapp` or `myapp_` → `myapp_`; `none` → no prefix. */
const metricsPrefixSetting = str().transform((v, ctx): string | undefined => {
  if (v === undefined) return undefined;
  if (v.toLowerCase() === 'none') return '';
  const core = v.replace(/_+$/, '');
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(core)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a Prometheus name prefix (letters, digits, underscore; not starting with a digit) or "none", got ${show(v)}`,
    });
    return undefined;
  }
  return `${core}_`;
});

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

const ALGORITHMS = ACCESS_TOKEN_ALGORITHMS;
const ALGORITHM_BY_LOWER = new Map(ALGORITHMS.map((a) => [a.toLowerCase(), a]));

/**
 * `ACCESS_TOKEN_ALGORITHM`: one algorithm or a comma list of asymmetric ones, case-insensitive, kept in the
 * canonical spelling joined by commas. HS256 (a shared secret) never goes with a public-key algorithm.
 */
const accessTokenAlgorithm = z
  .string()
  .optional()
  .transform((raw, ctx): AccessTokenAlgorithmSetting => {
    const entries = (clean(raw) ?? 'RS256').split(',').map((e) => e.trim());
    const algs: AccessTokenAlgorithm[] = [];
    for (const entry of entries) {
      const alg = ALGORITHM_BY_LOWER.get(entry.toLowerCase());
      if (alg === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `expected one of: ${ALGORITHMS.join(', ')}, got ${show(entry)}`,
        });
        return z.NEVER;
      }
      if (!algs.includes(alg)) algs.push(alg);
    }
    if (algs.length > 1 && algs.includes('HS256')) {
      ctx.addIssue({
        code: 'custom',
        message: `HS256 (a shared secret) cannot be combined with public-key algorithms, got ${show(algs.join(','))}`,
      });
      return z.NEVER;
    }
    return algs.join(',') as AccessTokenAlgorithmSetting;
  });

/** `JWKS_URI`: one http(s) URL or a comma list of them (one per `TOKEN_ISSUER`), kept joined by commas. */
const jwksUri = list([]).transform((entries, ctx): string | undefined => {
  for (const entry of entries) {
    const url = checkHttpUrl(entry);
    if (typeof url === 'string') ctx.addIssue({ code: 'custom', message: url });
  }
  return entries.length === 0 ? undefined : entries.join(',');
});

const rolesClaim = str('roles').superRefine((v, ctx) => {
  if (v !== undefined && (v.startsWith('.') || v.endsWith('.') || v.includes('..') || v.length > 256)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a claim name or dot path such as roles or realm_access.roles, got ${show(v)}`,
    });
  }
});

const audienceClaim = str('aud').superRefine((v, ctx) => {
  if (v !== undefined && !/^[A-Za-z0-9_:./-]{1,128}$/.test(v)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a claim name such as aud or client_id, got ${show(v)}`,
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
  CORS_ALLOW_HEADERS: list([], headerName),
  CORS_EXPOSE_HEADERS: list(['X-Request-ID', 'Retry-After'], headerName),

  TOKEN_MODE: oneOf(['stateless', 'hybrid', 'stateful'], 'stateful'),
  AUTH_SERVICE_ROLE: oneOf(['consumer'], 'consumer', {
    issuer:
      'expected "consumer", got "issuer": express-m8 only consumes (verifies) tokens, it never issues them; ' +
      'issue tokens with fa-auth-m8 and set AUTH_SERVICE_ROLE=consumer here',
  }),
  ACCESS_TOKEN_ALGORITHM: accessTokenAlgorithm,
  ACCESS_PUBLIC_KEY_FILE: str(),
  JWKS_URI: jwksUri,
  JWKS_CACHE_TTL_SECONDS: int(300, { min: 1, max: MAX_TIMER_SECONDS }),
  ACCESS_SECRET_KEY: strongSecret(),
  REFRESH_SECRET_KEY: strongSecret(),
  ACCESS_TOKEN_EXPIRE_MINUTES: int(30, { min: 1 }),
  TOKEN_STRICT_VALIDATION: bool(true),
  TOKEN_ISSUER: str(),
  TOKEN_AUDIENCE: str(),
  TOKEN_AUDIENCE_CLAIM: audienceClaim as z.ZodType<string, string | undefined>,
  TOKEN_PROFILE: oneOf(['fa-auth-m8', 'oidc'], 'fa-auth-m8'),
  ROLES_CLAIM: rolesClaim as z.ZodType<string, string | undefined>,
  OIDC_DISCOVERY: bool(false),
  EVENT_SIGNING_ENABLED: bool(true),
  EVENT_SIGNING_KEY: strongSecret(),
  EVENT_STREAM_ENABLED: bool(false),
  EVENT_SIGNING_ACCEPT_UNSIGNED: bool(false),
  INTROSPECTION_URL: httpUrl(),
  PRIVATE_API_SECRET: headerStr(),
  INTERNAL_CLIENT_ID: headerStr(),
  REVOCATION_CACHE_TTL_SECONDS: int(0, { min: 0, max: MAX_TIMER_SECONDS }),
  ACCESS_REVOCATION_FAILURE_MODE: oneOf(['fail_closed', 'fail_open'], 'fail_closed'),
  INTROSPECTION_MAX_SOCKETS: int(64, { min: 1, max: 1024 }),
  API_KEYS: oneOf(['off', 'local', 'introspect'], 'off'),
  API_KEY_PEPPER: strongSecret(),
  API_KEY_CACHE_TTL_SECONDS: int(30, { min: 0, max: MAX_TIMER_SECONDS }),

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
  METRICS_PREFIX: metricsPrefixSetting as z.ZodType<string | undefined, string | undefined>,
  METRICS_EXCLUDE_PATHS: list([], metricsPath),
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
true satisfies Fits;

/** Every built-in variable name, including the derived `ALLOWED_ORIGINS`. */
export const SETTINGS_NAMES: readonly string[] = [...Object.keys(SETTINGS_SHAPE), 'ALLOWED_ORIGINS'];
