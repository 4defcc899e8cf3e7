import {
  type LoadedSettings,
  loadSettings,
  type Settings,
  type SettingsExtension,
} from '../settings/index.js';

/** One override: env-style, as a string, number, boolean or list; `undefined` removes the test default. */
export type TestSettingValue = string | number | boolean | readonly string[] | undefined;

/** Overrides by variable name (built-in, `X_FILE` or extension). */
export type TestSettingsOverrides = { readonly [K in keyof Settings]?: TestSettingValue } & Readonly<
  Record<string, TestSettingValue>
>;

/** The strong HS256 secret `testSettings` uses unless overridden (never use it outside tests). */
export const TEST_ACCESS_SECRET_KEY = 'test-ONLY-hs256-Secret-0123456789-abcdefXYZ!';

/** The `TOKEN_ISSUER` `testSettings` uses unless overridden. */
export const TEST_TOKEN_ISSUER = 'https://auth.test.invalid';

/** The `TOKEN_AUDIENCE` `testSettings` uses unless overridden. */
export const TEST_TOKEN_AUDIENCE = 'express-m8-test';

const BASE: Readonly<Record<string, string>> = {
  DOMAIN: 'localhost',
  ENVIRONMENT: 'local',
  PROJECT_NAME: 'test-service',
  STACK_NAME: 'test',
  API_PREFIX: '/api',
  BACKEND_HOST: 'http://localhost:8000',
  FRONTEND_HOST: 'http://localhost:5173',
  BACKEND_CORS_ORIGINS: 'http://localhost:5173',
  TOKEN_MODE: 'stateless',
  ACCESS_TOKEN_ALGORITHM: 'HS256',
  ACCESS_SECRET_KEY: TEST_ACCESS_SECRET_KEY,
  TOKEN_ISSUER: TEST_TOKEN_ISSUER,
  TOKEN_AUDIENCE: TEST_TOKEN_AUDIENCE,
  EVENT_SIGNING_ENABLED: 'false',
  LOG_LEVEL: 'silent',
};

function toEnvValue(value: Exclude<TestSettingValue, undefined>): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value.join(',');
}

/**
 * Valid settings for tests: HS256 with a strong secret, stateless, event signing off, issuer and audience set,
 * LOG_LEVEL silent, Pglite in memory. Overrides go through the same validation as `loadSettings` (no
 * `process.env`, no `.env` file), so an invalid override throws the same `SettingsError`.
 *
 * @example
 * const settings = testSettings({ METRICS_ENABLED: true, ALLOWED_HOSTS: ['api.example.com'] });
 * @throws {SettingsError} `ERR_SETTINGS_INVALID` when the overrides break a rule.
 */
export function testSettings<E extends SettingsExtension | undefined = undefined>(
  overrides: TestSettingsOverrides = {},
  options: { extend?: E } = {},
): LoadedSettings<E> {
  const env: Record<string, string | undefined> = { ...BASE };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = toEnvValue(value);
  }
  return loadSettings<E>({ env, envFile: false, ...(options.extend ? { extend: options.extend } : {}) });
}
