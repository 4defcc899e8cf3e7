import { loadSettings } from 'express-m8';
import { describe, expect, it } from 'vitest';
import { BASE_ENV, load, messagesAbout, settingsError } from './helpers.js';

/** Every variable of the 0.1 settings table (docs/settings.md), plus the derived ALLOWED_ORIGINS. */
const BASE_NAMES =
  `DOMAIN ENVIRONMENT PROJECT_NAME STACK_NAME API_PREFIX AUTH_PREFIX BACKEND_HOST FRONTEND_HOST
BACKEND_CORS_ORIGINS ALLOWED_ORIGINS TOKEN_MODE AUTH_SERVICE_ROLE ACCESS_TOKEN_ALGORITHM ACCESS_PUBLIC_KEY_FILE JWKS_URI
JWKS_CACHE_TTL_SECONDS ACCESS_SECRET_KEY REFRESH_SECRET_KEY ACCESS_TOKEN_EXPIRE_MINUTES TOKEN_STRICT_VALIDATION
TOKEN_ISSUER TOKEN_AUDIENCE EVENT_SIGNING_ENABLED EVENT_SIGNING_KEY INTROSPECTION_URL PRIVATE_API_SECRET
INTERNAL_CLIENT_ID REVOCATION_CACHE_TTL_SECONDS ACCESS_REVOCATION_FAILURE_MODE SELECTED_DB DB_HOST DB_PORT DB_DATABASE
DB_USER DB_PASSWORD DATABASE_URL PGLITE_DATA_DIR DB_POOL_MAX DB_STATEMENT_TIMEOUT_MS TABLES_PREFIX METRICS_ENABLED METRICS_GROUPS
METRICS_SCRAPE_CREDENTIAL METRICS_PORT HEALTH_DETAIL_CREDENTIAL SET_OPEN_API SET_DOCS SET_REDOC SERVE_DOCS_IN_PRODUCTION
STRICT_PRODUCTION_MODE ALLOWED_HOSTS SECURITY_HEADERS_ENABLED HSTS_ENABLED HSTS_MAX_AGE HSTS_INCLUDE_SUBDOMAINS
CONTENT_SECURITY_POLICY_ENABLED CONTENT_SECURITY_POLICY REFERRER_POLICY PERMISSIONS_POLICY SERVICE_VERSION LOG_LEVEL
SHUTDOWN_TIMEOUT_SECONDS SHUTDOWN_DELAY_SECONDS`.split(/\s+/);
/** Variables added in 0.2. */
const ADDED_NAMES = [
  'INTROSPECTION_MAX_SOCKETS',
  'REQUEST_TIMEOUT_SECONDS',
  'EVENT_STREAM_ENABLED',
  'EVENT_SIGNING_ACCEPT_UNSIGNED',
  'CORS_ALLOW_HEADERS',
  'CORS_EXPOSE_HEADERS',
  'METRICS_PREFIX',
  'METRICS_EXCLUDE_PATHS',
  'API_KEYS',
  'API_KEY_PEPPER',
  'API_KEY_CACHE_TTL_SECONDS',
  'TOKEN_PROFILE',
  'ROLES_CLAIM',
  'OIDC_DISCOVERY',
  'TOKEN_AUDIENCE_CLAIM',
  'LOG_IGNORE_PATHS',
];

describe('loadSettings defaults', () => {
  it('fills every optional variable with its documented default', () => {
    const s = load();
    expect(s).toMatchObject({
      AUTH_PREFIX: '/auth',
      AUTH_SERVICE_ROLE: 'consumer',
      ACCESS_PUBLIC_KEY_FILE: undefined,
      JWKS_URI: undefined,
      JWKS_CACHE_TTL_SECONDS: 300,
      REFRESH_SECRET_KEY: undefined,
      ACCESS_TOKEN_EXPIRE_MINUTES: 30,
      TOKEN_STRICT_VALIDATION: true,
      INTROSPECTION_URL: undefined,
      PRIVATE_API_SECRET: undefined,
      INTERNAL_CLIENT_ID: undefined,
      REVOCATION_CACHE_TTL_SECONDS: 0,
      ACCESS_REVOCATION_FAILURE_MODE: 'fail_closed',
      INTROSPECTION_MAX_SOCKETS: 64,
      SELECTED_DB: 'Pglite',
      DB_HOST: undefined,
      DB_PORT: undefined,
      DB_DATABASE: undefined,
      DB_USER: undefined,
      DB_PASSWORD: undefined,
      DATABASE_URL: undefined,
      PGLITE_DATA_DIR: undefined,
      DB_POOL_MAX: 10,
      DB_STATEMENT_TIMEOUT_MS: 10_000,
      TABLES_PREFIX: 'app',
      METRICS_ENABLED: false,
      METRICS_GROUPS: ['traffic', 'performance', 'reliability', 'health', 'auth', 'db', 'process'],
      METRICS_SCRAPE_CREDENTIAL: undefined,
      METRICS_PORT: undefined,
      METRICS_PREFIX: undefined,
      METRICS_EXCLUDE_PATHS: [],
      CORS_ALLOW_HEADERS: [],
      CORS_EXPOSE_HEADERS: ['X-Request-ID', 'Retry-After'],
      HEALTH_DETAIL_CREDENTIAL: undefined,
      SET_OPEN_API: true,
      SET_DOCS: true,
      SET_REDOC: true,
      SERVE_DOCS_IN_PRODUCTION: false,
      STRICT_PRODUCTION_MODE: false,
      ALLOWED_HOSTS: [],
      SECURITY_HEADERS_ENABLED: true,
      HSTS_ENABLED: false,
      HSTS_MAX_AGE: 31_536_000,
      HSTS_INCLUDE_SUBDOMAINS: true,
      CONTENT_SECURITY_POLICY_ENABLED: false,
      CONTENT_SECURITY_POLICY: undefined,
      REFERRER_POLICY: 'strict-origin-when-cross-origin',
      PERMISSIONS_POLICY:
        'accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()',
      SERVICE_VERSION: undefined,
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_SECONDS: 25,
      SHUTDOWN_DELAY_SECONDS: 0,
      REQUEST_TIMEOUT_SECONDS: 30,
    });
  });

  it('defaults TOKEN_MODE to stateful, ACCESS_TOKEN_ALGORITHM to RS256 and EVENT_SIGNING_ENABLED to true', () => {
    const issues = settingsError(() =>
      load({
        ENVIRONMENT: 'staging',
        TOKEN_MODE: undefined,
        ACCESS_TOKEN_ALGORITHM: undefined,
        EVENT_SIGNING_ENABLED: undefined,
      }),
    ).issues;
    // Each default shows through the rule it triggers.
    expect(messagesAbout(issues, 'INTROSPECTION_URL')).toEqual([
      expect.stringContaining('TOKEN_MODE=stateful'),
    ]);
    expect(messagesAbout(issues, 'ACCESS_PUBLIC_KEY_FILE')).toEqual([
      expect.stringContaining('ACCESS_TOKEN_ALGORITHM=RS256'),
    ]);
    // EVENT_SIGNING_ENABLED=true (its default) demands no key without the event stream.
    expect(messagesAbout(issues, 'EVENT_SIGNING_KEY')).toEqual([]);
    expect(load({ EVENT_SIGNING_ENABLED: undefined }).EVENT_SIGNING_ENABLED).toBe(true);
  });

  it('returns every field named exactly as its env variable, and nothing else', () => {
    const s = load({ REDIS_URL: 'redis://cache:6379', REFRESH_TOKEN_EXPIRE_MINUTES: '10080', WHATEVER: 'x' });
    expect(Object.keys(s).sort()).toEqual([...BASE_NAMES, ...ADDED_NAMES].sort());
    expect(s).not.toHaveProperty('REDIS_URL');
    expect(s).not.toHaveProperty('REFRESH_TOKEN_EXPIRE_MINUTES');
    expect(s).not.toHaveProperty('WHATEVER');
  });

  it.each([
    'DOMAIN',
    'ENVIRONMENT',
    'PROJECT_NAME',
    'STACK_NAME',
    'API_PREFIX',
    'BACKEND_HOST',
    'FRONTEND_HOST',
    'BACKEND_CORS_ORIGINS',
  ])('requires %s in staging, where it has no default', (name) => {
    const environment = name === 'ENVIRONMENT' ? {} : { ENVIRONMENT: 'staging' };
    const issues = settingsError(() => load({ ...environment, [name]: undefined })).issues;
    expect(issues).toEqual([{ variable: name, message: expect.stringContaining('is required but not set') }]);
  });

  it('treats an empty or blank scalar value as unset', () => {
    expect(load({ LOG_LEVEL: '', DB_POOL_MAX: '   ' })).toMatchObject({ LOG_LEVEL: 'info', DB_POOL_MAX: 10 });
    expect(
      messagesAbout(settingsError(() => load({ ENVIRONMENT: 'staging', DOMAIN: '  ' })).issues, 'DOMAIN'),
    ).toHaveLength(1);
  });

  it('reads process.env when no env option is given, and ignores process.env when one is', () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, BASE_ENV, { PROJECT_NAME: 'from-process-env' });
      expect(load().PROJECT_NAME).toBe('items');
      expect(loadSettings({ envFile: false }).PROJECT_NAME).toBe('from-process-env');
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
