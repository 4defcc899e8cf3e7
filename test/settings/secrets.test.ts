import { describe, expect, it } from 'vitest';
import { BASE_ENV, issuesFor, load, messagesAbout, PROD_ENV, STRONG, settingsError } from './helpers.js';

const SECRETS = ['ACCESS_SECRET_KEY', 'REFRESH_SECRET_KEY', 'EVENT_SIGNING_KEY'] as const;

describe('secret strength', () => {
  it.each(SECRETS)('accepts a strong %s', (name) => {
    expect(load({ [name]: STRONG })[name]).toBe(STRONG);
  });

  it.each(SECRETS)('rejects a short %s, giving only its length', (name) => {
    const secret = 'Sh0rt!Secret';
    const issues = issuesFor({ [name]: secret });
    expect(messagesAbout(issues, name)).toEqual([
      'must be at least 32 characters with lower, upper, digit and symbol (got 12 characters)',
    ]);
  });

  it.each([
    ['lower-case letter', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!'],
    ['upper-case letter', 'abcdefghijklmnopqrstuvwxyz0123456789!'],
    ['digit', 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ!'],
    ['symbol', 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123'],
  ])('rejects a long secret with no %s', (missing, secret) => {
    const [message] = messagesAbout(issuesFor({ ACCESS_SECRET_KEY: secret }), 'ACCESS_SECRET_KEY');
    expect(message).toContain(`missing: ${missing}`);
    expect(message).not.toContain(secret);
  });

  it('rejects surrounding whitespace', () => {
    const [message] = messagesAbout(issuesFor({ EVENT_SIGNING_KEY: ` ${STRONG}` }), 'EVENT_SIGNING_KEY');
    expect(message).toBe(`must not start or end with whitespace (got ${STRONG.length + 1} characters)`);
  });

  it.each(['changethis', 'CHANGETHIS'])('rejects the template placeholder %s', (value) => {
    const [message] = messagesAbout(issuesFor({ ACCESS_SECRET_KEY: value }), 'ACCESS_SECRET_KEY');
    expect(message).toContain('template placeholder');
  });

  it('validates REFRESH_SECRET_KEY when present but never requires it', () => {
    expect(load().REFRESH_SECRET_KEY).toBeUndefined();
    expect(messagesAbout(issuesFor({ REFRESH_SECRET_KEY: 'weak' }), 'REFRESH_SECRET_KEY')).toHaveLength(1);
  });

  it('validates ACCESS_SECRET_KEY strength even when the algorithm does not use it', () => {
    const issues = issuesFor({
      ACCESS_TOKEN_ALGORITHM: 'RS256',
      JWKS_URI: 'https://a/jwks',
      ACCESS_SECRET_KEY: 'x',
    });
    expect(issues.map((i) => i.variable)).toEqual(['ACCESS_SECRET_KEY']);
  });
});

describe('the SettingsError report', () => {
  it('lists every problem at once, each by variable name', () => {
    const err = settingsError(() =>
      load(
        {
          DOMAIN: undefined,
          ENVIRONMENT: 'prod',
          API_PREFIX: '/a b',
          BACKEND_CORS_ORIGINS: '*',
          ACCESS_SECRET_KEY: 'weak',
          DB_POOL_MAX: '0',
          METRICS_GROUPS: 'nope',
          LOG_LEVEL: 'loud',
          TOKEN_MODE: 'stateful',
          AUTH_SERVICE_ROLE: 'issuer',
        },
        BASE_ENV,
      ),
    );
    const variables = err.issues.map((i) => i.variable);
    expect(variables).toEqual([
      'DOMAIN',
      'ENVIRONMENT',
      'API_PREFIX',
      'BACKEND_CORS_ORIGINS',
      'AUTH_SERVICE_ROLE',
      'ACCESS_SECRET_KEY',
      'DB_POOL_MAX',
      'METRICS_GROUPS',
      'LOG_LEVEL',
      'INTROSPECTION_URL',
      'PRIVATE_API_SECRET',
    ]);
    expect(err.code).toBe('ERR_SETTINGS_INVALID');
    expect(err.message).toMatch(/^Invalid settings \(11 problems\):\n/);
    for (const variable of variables) expect(err.message).toContain(`  - ${variable}: `);
  });

  it('never contains the value of a secret, whatever is wrong with it', () => {
    const values: Record<string, string> = {
      ACCESS_SECRET_KEY: 'weak-access-secret-value',
      REFRESH_SECRET_KEY: ' Whitespace-Refresh-Secret-0123456789! ',
      EVENT_SIGNING_KEY: 'NoSymbolEventSigningKey0123456789abcdef',
      PRIVATE_API_SECRET: 'private-api-secret-value',
      HEALTH_DETAIL_CREDENTIAL: 'private-api-secret-value',
      METRICS_SCRAPE_CREDENTIAL: 'private-api-secret-value',
      DATABASE_URL: 'not-a-url-with-password-s3cr3t',
      DB_PASSWORD: 'db-password-s3cr3t',
    };
    const err = settingsError(() =>
      load({ ...values, SELECTED_DB: 'Postgres', EVENT_SIGNING_ENABLED: 'true' }, PROD_ENV),
    );
    expect(err.issues.length).toBeGreaterThanOrEqual(6);
    for (const value of Object.values(values)) {
      expect(err.message).not.toContain(value.trim());
      expect(JSON.stringify(err.issues)).not.toContain(value.trim());
    }
    expect(err.message).not.toContain('s3cr3t');
  });
});
