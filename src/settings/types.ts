/** `ENVIRONMENT`: where the service runs; `production` turns on the production rules. */
export type Environment = 'local' | 'development' | 'staging' | 'production';
/** `TOKEN_MODE`: `stateful` checks revocation at `INTROSPECTION_URL` on every request. */
export type TokenMode = 'stateless' | 'hybrid' | 'stateful';
/** An asymmetric JWS algorithm `ACCESS_TOKEN_ALGORITHM` may list (several may be combined). */
export type AsymmetricAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA';
/** One JWS algorithm tokens may be verified with: an asymmetric one, or `HS256` (never mixed). */
export type AccessTokenAlgorithm = AsymmetricAlgorithm | 'HS256';

/** Every accepted `ACCESS_TOKEN_ALGORITHM` value, asymmetric ones first (settings schema and auth checks). */
export const ACCESS_TOKEN_ALGORITHMS: readonly AccessTokenAlgorithm[] = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'ES256',
  'ES384',
  'EdDSA',
  'HS256',
]);
/**
 * The `ACCESS_TOKEN_ALGORITHM` setting: one algorithm, or a comma list of asymmetric ones in their canonical
 * spelling (`RS256,ES256`).
 */
export type AccessTokenAlgorithmSetting = AccessTokenAlgorithm | `${AsymmetricAlgorithm},${string}`;
/** `TOKEN_PROFILE`: the claim rules tokens are read with. */
export type TokenProfile = 'fa-auth-m8' | 'oidc';
/** `ACCESS_REVOCATION_FAILURE_MODE`: what a stateful check does when the issuer cannot be reached. */
export type RevocationFailureMode = 'fail_closed' | 'fail_open';
/** `API_KEYS`: whether (and where) `X-API-Key` credentials are checked. */
type ApiKeysMode = 'off' | 'local' | 'introspect';
/** `SELECTED_DB`: the database engine. */
export type SelectedDb = 'Pglite' | 'Postgres' | 'Mysql';
/** `LOG_LEVEL`: pino levels plus `silent`. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** One `METRICS_GROUPS` entry (`all` expands to every group). */
export type MetricsGroup = 'traffic' | 'performance' | 'reliability' | 'health' | 'auth' | 'db' | 'process';

/**
 * The validated, deep-frozen configuration. Field names are the env variable names, 1:1 (docs/settings.md).
 * Optional values are `undefined` when unset. List variables are string arrays. See `docs/settings.md`.
 * @example
 * const settings: Settings = loadSettings();
 */
export interface Settings {
  readonly DOMAIN: string;
  readonly ENVIRONMENT: Environment;
  readonly PROJECT_NAME: string;
  readonly STACK_NAME: string;
  /** Normalised: leading slash, no trailing slash; `''` when given as `/`. */
  readonly API_PREFIX: string;
  readonly AUTH_PREFIX: string;
  readonly BACKEND_HOST: string;
  readonly FRONTEND_HOST: string;
  readonly BACKEND_CORS_ORIGINS: readonly string[];
  /** BACKEND_CORS_ORIGINS plus FRONTEND_HOST, trailing slashes stripped, de-duplicated, never `*`. */
  readonly ALLOWED_ORIGINS: readonly string[];
  /** Request headers a preflight may ask for, beyond the built-in list. */
  readonly CORS_ALLOW_HEADERS: readonly string[];
  /** Response headers a browser script may read (`Access-Control-Expose-Headers`). */
  readonly CORS_EXPOSE_HEADERS: readonly string[];

  readonly TOKEN_MODE: TokenMode;
  readonly AUTH_SERVICE_ROLE: 'consumer';
  /** One algorithm, or a comma list of asymmetric ones (`RS256,ES256`); see `accessTokenAlgorithms`. */
  readonly ACCESS_TOKEN_ALGORITHM: AccessTokenAlgorithmSetting;
  readonly ACCESS_PUBLIC_KEY_FILE: string | undefined;
  /**
   * The JWKS URL; with several `TOKEN_ISSUER`s either one URL (one key set trusted for every issuer) or a comma
   * list aligned with them (the n-th key set for the n-th issuer).
   */
  readonly JWKS_URI: string | undefined;
  readonly JWKS_CACHE_TTL_SECONDS: number;
  readonly ACCESS_SECRET_KEY: string | undefined;
  readonly REFRESH_SECRET_KEY: string | undefined;
  readonly ACCESS_TOKEN_EXPIRE_MINUTES: number;
  readonly TOKEN_STRICT_VALIDATION: boolean;
  /** One issuer, or a comma list: a token's `iss` must be one of them and picks that issuer's key set. */
  readonly TOKEN_ISSUER: string | undefined;
  /** One audience, or a comma list: a token's audience must contain one of them. */
  readonly TOKEN_AUDIENCE: string | undefined;
  /** The claim the audience is read from: `aud` (default), or e.g. `client_id` for Amazon Cognito access tokens. */
  readonly TOKEN_AUDIENCE_CLAIM: string;
  /** `fa-auth-m8` (default): fa-auth-m8's claims and rules; `oidc`: any OpenID Connect issuer's access tokens. */
  readonly TOKEN_PROFILE: TokenProfile;
  /** Under `oidc`: the dot path of the roles claim (`roles`, `realm_access.roles`, `https://example.com/roles`). */
  readonly ROLES_CLAIM: string;
  /** Fetch `{issuer}/.well-known/openid-configuration` for each `TOKEN_ISSUER` and use its `jwks_uri`. */
  readonly OIDC_DISCOVERY: boolean;
  readonly EVENT_SIGNING_ENABLED: boolean;
  readonly EVENT_SIGNING_KEY: string | undefined;
  /**
   * Subscribe to the issuer's revocation event stream (push revocation): needs `INTROSPECTION_URL`,
   * `PRIVATE_API_SECRET`, `INTERNAL_CLIENT_ID` and `EVENT_SIGNING_KEY`.
   */
  readonly EVENT_STREAM_ENABLED: boolean;
  /** Apply stream events whose signature is missing or wrong instead of dropping them (development only). */
  readonly EVENT_SIGNING_ACCEPT_UNSIGNED: boolean;
  readonly INTROSPECTION_URL: string | undefined;
  readonly PRIVATE_API_SECRET: string | undefined;
  readonly INTERNAL_CLIENT_ID: string | undefined;
  readonly REVOCATION_CACHE_TTL_SECONDS: number;
  readonly ACCESS_REVOCATION_FAILURE_MODE: RevocationFailureMode;
  /**
   * Most concurrent connections per issuer origin (revocation checks and JWKS fetches) of each keep-alive
   * agent buildAuthDeps creates; further calls queue for a free socket.
   */
  readonly INTROSPECTION_MAX_SOCKETS: number;
  /**
   * `off` (default): `X-API-Key` is ignored. `local`: keys live in `{TABLES_PREFIX}_api_keys` of the service's
   * database. `introspect`: keys are checked by fa-auth-m8 on every request.
   */
  readonly API_KEYS: ApiKeysMode;
  /** HMAC-SHA256 key the stored key digests are made with; a strong secret, required when `API_KEYS=local`. */
  readonly API_KEY_PEPPER: string | undefined;
  /** How long a looked-up local key is trusted before the database is asked again (revocation delay). */
  readonly API_KEY_CACHE_TTL_SECONDS: number;

  readonly SELECTED_DB: SelectedDb;
  readonly DB_HOST: string | undefined;
  /** Defaults to 5432 (Postgres) or 3306 (Mysql); `undefined` for Pglite unless set. */
  readonly DB_PORT: number | undefined;
  readonly DB_DATABASE: string | undefined;
  readonly DB_USER: string | undefined;
  readonly DB_PASSWORD: string | undefined;
  readonly DATABASE_URL: string | undefined;
  readonly PGLITE_DATA_DIR: string | undefined;
  readonly DB_POOL_MAX: number;
  /** Longest run of one query in milliseconds before it is cancelled (`ERR_DB_STATEMENT_TIMEOUT`); 0 = off. */
  readonly DB_STATEMENT_TIMEOUT_MS: number;
  readonly TABLES_PREFIX: string;

  readonly METRICS_ENABLED: boolean;
  /** `all` expands to every group. */
  readonly METRICS_GROUPS: readonly MetricsGroup[];
  readonly METRICS_SCRAPE_CREDENTIAL: string | undefined;
  readonly METRICS_PORT: number | undefined;
  /** Metric name prefix, ending in `_` (`''` for none); `undefined` = derived from `API_PREFIX`. */
  readonly METRICS_PREFIX: string | undefined;
  /** Route templates or static paths whose requests stay out of the HTTP metrics. */
  readonly METRICS_EXCLUDE_PATHS: readonly string[];
  readonly HEALTH_DETAIL_CREDENTIAL: string | undefined;

  readonly SET_OPEN_API: boolean;
  readonly SET_DOCS: boolean;
  readonly SET_REDOC: boolean;
  readonly SERVE_DOCS_IN_PRODUCTION: boolean;
  readonly STRICT_PRODUCTION_MODE: boolean;
  readonly ALLOWED_HOSTS: readonly string[];

  readonly SECURITY_HEADERS_ENABLED: boolean;
  readonly HSTS_ENABLED: boolean;
  readonly HSTS_MAX_AGE: number;
  readonly HSTS_INCLUDE_SUBDOMAINS: boolean;
  readonly CONTENT_SECURITY_POLICY_ENABLED: boolean;
  readonly CONTENT_SECURITY_POLICY: string | undefined;
  readonly REFERRER_POLICY: string;
  readonly PERMISSIONS_POLICY: string;

  readonly SERVICE_VERSION: string | undefined;
  readonly LOG_LEVEL: LogLevel;
  /**
   * Paths whose successful requests are not logged: exact paths, or `/prefix/*`. Unset: the probes
   * (`{API_PREFIX}/health`, `{API_PREFIX}/health/*`, `{API_PREFIX}/ping`) and `/metrics`. Failures are always logged.
   */
  readonly LOG_IGNORE_PATHS: readonly string[] | undefined;
  readonly SHUTDOWN_TIMEOUT_SECONDS: number;
  readonly SHUTDOWN_DELAY_SECONDS: number;
  /**
   * Longest time a client may take to send one whole request (headers and body); 0 = no limit. The headers
   * alone must arrive within the same time (at most 60 s).
   */
  readonly REQUEST_TIMEOUT_SECONDS: number;
}

/**
 * The names of the variables whose values are secrets: never logged, never in an error message.
 * @example
 * SECRET_SETTINGS.includes('DB_PASSWORD'); // true
 */
export const SECRET_SETTINGS = [
  'ACCESS_SECRET_KEY',
  'REFRESH_SECRET_KEY',
  'EVENT_SIGNING_KEY',
  'API_KEY_PEPPER',
  'PRIVATE_API_SECRET',
  'DB_PASSWORD',
  'DATABASE_URL',
  'METRICS_SCRAPE_CREDENTIAL',
  'HEALTH_DETAIL_CREDENTIAL',
] as const satisfies readonly (keyof Settings)[];

/**
 * True when production rules apply: `ENVIRONMENT=production` or `STRICT_PRODUCTION_MODE=true`.
 * @example
 * if (isProductionLike(settings)) app.disable('x-powered-by');
 */
export function isProductionLike(
  settings: Pick<Settings, 'ENVIRONMENT' | 'STRICT_PRODUCTION_MODE'>,
): boolean {
  return settings.ENVIRONMENT === 'production' || settings.STRICT_PRODUCTION_MODE;
}

/** Every algorithm of an `ACCESS_TOKEN_ALGORITHM` value, in the order given. */
export function accessTokenAlgorithms(setting: AccessTokenAlgorithmSetting): readonly AccessTokenAlgorithm[] {
  return setting.split(',') as AccessTokenAlgorithm[];
}

/** A comma list setting (`TOKEN_ISSUER`, `TOKEN_AUDIENCE`, `JWKS_URI`) as its entries; `[]` when unset. */
export function settingList(value: string | undefined): readonly string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}
