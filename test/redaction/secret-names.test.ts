import { SECRET_SETTINGS, scrubMeta, summarizeSettings } from 'express-m8';
import { describe, expect, it } from 'vitest';
import { scrubError } from '../../src/redaction/index.js';
import { load, STRONG_2 } from '../settings/helpers.js';

const VALUE = 'plain-value-7';

/** True when the settings summary masks a setting of this name (startup line, `check-config`). */
function maskedInSummary(name: string): boolean {
  const shown = summarizeSettings({ [name]: VALUE })[name];
  expect([VALUE, '***'], name).toContain(shown);
  return shown === '***';
}

/** True when redaction hides an entry of this key, in health meta and in a logged error alike. */
function redacted(name: string): boolean {
  const meta = (scrubMeta({ [name]: VALUE }) as Record<string, unknown>)[name];
  const logged = (scrubError(Object.assign(new Error('boom'), { [name]: VALUE })) as Record<string, unknown>)[
    name
  ];
  expect(logged, name).toBe(meta);
  expect([VALUE, 'REDACTED'], name).toContain(meta);
  return meta === 'REDACTED';
}

/** Built-in settings whose name looks secret but whose value is not: the summary shows them. */
const KNOWN_NOT_SECRET = [
  'TOKEN_MODE',
  'TOKEN_STRICT_VALIDATION',
  'TOKEN_ISSUER',
  'TOKEN_AUDIENCE',
  'TOKEN_AUDIENCE_CLAIM',
  'TOKEN_PROFILE',
  'ACCESS_TOKEN_ALGORITHM',
  'ACCESS_TOKEN_EXPIRE_MINUTES',
  'API_KEYS',
  'API_KEY_CACHE_TTL_SECONDS',
];

const NAMES: readonly (readonly [name: string, secret: boolean])[] = [
  // Built-in settings.
  ['ACCESS_SECRET_KEY', true],
  ['REFRESH_SECRET_KEY', true],
  ['PRIVATE_API_SECRET', true],
  ['DATABASE_URL', true],
  ['DB_PASSWORD', true],
  ['API_KEY_PEPPER', true],
  ['EVENT_SIGNING_KEY', true],
  ['HEALTH_DETAIL_CREDENTIAL', true],
  ['METRICS_SCRAPE_CREDENTIAL', true],
  ['DB_HOST', false],
  ['DB_USER', false],
  ['JWKS_URI', false],
  ['INTROSPECTION_URL', false],
  ['ACCESS_PUBLIC_KEY_FILE', false],
  ['EVENT_SIGNING_ENABLED', false],
  // Extension fields.
  ['STRIPE_API_KEY', true],
  ['STRIPE_KEY', true],
  ['PAYMENT_PASSWORD', true],
  ['SESSION_SECRET', true],
  ['SENTRY_DSN', true],
  ['AWS_ACCESS_KEY_ID', true],
  ['COLOR', false],
  // Object keys.
  ['password', true],
  ['passwd', true],
  ['passphrase', true],
  ['pwd', true],
  ['secret', true],
  ['clientSecret', true],
  ['client_secret', true],
  ['token', true],
  ['accessToken', true],
  ['refresh_token', true],
  ['apiKey', true],
  ['api_key', true],
  ['x-api-key', true],
  ['authorization', true],
  ['Authorization', true],
  ['cookie', true],
  ['set-cookie', true],
  ['session', true],
  ['sessionId', true],
  ['privateKey', true],
  ['private_key', true],
  ['credential', true],
  ['credentials', true],
  ['pepper', true],
  ['jwt', true],
  ['dsn', true],
  ['connectionString', true],
  ['databaseUrl', true],
  ['signingKey', true],
  ['stripeKey', true],
  ['webhook-key', true],
  ['host', false],
  ['port', false],
  ['user', false],
  ['username', false],
  ['database', false],
  ['url', false],
  ['latency_ms', false],
  ['key', false],
  ['keys', false],
  ['KEY', false],
  ['monkey', false],
];

describe('which names are secret: one decision for the settings summary and redaction', () => {
  it.each(NAMES)('%s: secret is %s in the summary and in redaction alike', (name, secret) => {
    expect(maskedInSummary(name), `summary: ${name}`).toBe(secret);
    expect(redacted(name), `redaction: ${name}`).toBe(secret);
  });

  it.each(KNOWN_NOT_SECRET)('the summary shows %s, a built-in setting known to hold no secret', (name) => {
    expect(maskedInSummary(name)).toBe(false);
    // The one documented difference: redaction sees arbitrary keys and goes by the name alone.
    expect(redacted(name)).toBe(true);
  });

  it('agrees on every built-in setting name, and masks every SECRET_SETTINGS name in both', () => {
    const names = new Set([...Object.keys(load()), ...SECRET_SETTINGS]);
    for (const name of KNOWN_NOT_SECRET) names.delete(name);
    expect(names.size).toBeGreaterThan(40);
    for (const name of names) expect(maskedInSummary(name), name).toBe(redacted(name));
    for (const name of SECRET_SETTINGS)
      expect([maskedInSummary(name), redacted(name)], name).toEqual([true, true]);
  });

  it('shows the known-not-secret settings of loaded settings with their values', () => {
    const summary = summarizeSettings(load({ API_KEYS: 'local', API_KEY_PEPPER: STRONG_2 }));
    expect(summary).toMatchObject({
      TOKEN_MODE: 'stateless',
      TOKEN_AUDIENCE: 'items',
      TOKEN_ISSUER: 'https://auth.example.com',
      ACCESS_TOKEN_ALGORITHM: 'HS256',
      ACCESS_TOKEN_EXPIRE_MINUTES: expect.any(Number),
      API_KEYS: 'local',
      API_KEY_CACHE_TTL_SECONDS: expect.any(Number),
      API_KEY_PEPPER: '***',
      ACCESS_SECRET_KEY: '***',
    });
  });
});

describe('the summary of an object-valued extension field', () => {
  it('masks the entries named like secrets by the same rule, at any depth', () => {
    const summary = summarizeSettings({
      PAYMENTS: {
        region: 'eu',
        apiKey: 'k-1',
        nested: [{ client_secret: 's-2', url: 'https://u:p@x.example' }],
      },
    });
    expect(summary['PAYMENTS']).toEqual({
      region: 'eu',
      apiKey: '***',
      nested: [{ client_secret: '***', url: 'https://***:***@x.example' }],
    });
  });
});
