import { summarizeSettings } from 'express-m8';
import { describe, expect, it } from 'vitest';
import { isProductionLike, SECRET_SETTINGS } from '../../src/settings/index.js';
import { load, STRONG } from './helpers.js';

describe('the settings object', () => {
  it('is deep-frozen: assigning a field or pushing to a list throws in strict mode', () => {
    const s = load({ ALLOWED_HOSTS: 'a.example.com' });
    expect(Object.isFrozen(s)).toBe(true);
    expect(() => {
      (s as { LOG_LEVEL: string }).LOG_LEVEL = 'debug';
    }).toThrow(TypeError);
    expect(() => (s.ALLOWED_HOSTS as string[]).push('evil.example.com')).toThrow(TypeError);
    expect(() => {
      (s.METRICS_GROUPS as string[])[0] = 'x';
    }).toThrow(TypeError);
    expect(() => (s.ALLOWED_ORIGINS as string[]).pop()).toThrow(TypeError);
    expect(s.ALLOWED_HOSTS).toEqual(['a.example.com']);
  });

  it('isProductionLike is true in production or under STRICT_PRODUCTION_MODE only', () => {
    expect(isProductionLike(load())).toBe(false);
    expect(
      isProductionLike(
        load({
          STRICT_PRODUCTION_MODE: 'true',
          BACKEND_CORS_ORIGINS: '',
          FRONTEND_HOST: 'https://a.example.com',
        }),
      ),
    ).toBe(true);
    expect(isProductionLike({ ENVIRONMENT: 'production', STRICT_PRODUCTION_MODE: false })).toBe(true);
  });
});

describe('summarizeSettings', () => {
  const settings = load({
    PRIVATE_API_SECRET: 'internal-secret-1',
    HEALTH_DETAIL_CREDENTIAL: 'health-secret-2',
    SELECTED_DB: 'Postgres',
    DATABASE_URL: 'postgres://app:pw-s3cret@db:5432/app',
    DB_PASSWORD: 'db-pw-s3cret',
    JWKS_URI: 'https://user:jwks-pass@auth.example.com/jwks',
    BACKEND_CORS_ORIGINS: 'http://localhost:3000',
  });

  it('replaces every set secret with *** and leaves unset ones undefined', () => {
    const summary = summarizeSettings(settings);
    for (const name of SECRET_SETTINGS) {
      expect(summary[name]).toBe(settings[name] === undefined ? undefined : '***');
    }
    expect(summary['ACCESS_SECRET_KEY']).toBe('***');
    expect(summary['METRICS_SCRAPE_CREDENTIAL']).toBeUndefined();
    expect(JSON.stringify(summary)).not.toMatch(/s3cret|internal-secret|health-secret/);
    expect(JSON.stringify(summary)).not.toContain(STRONG);
  });

  it('masks credentials inside URLs', () => {
    expect(summarizeSettings(settings)['JWKS_URI']).toBe('https://***:***@auth.example.com/jwks');
  });

  it('keeps everything else as is, in a plain mutable object', () => {
    const summary = summarizeSettings(settings);
    expect(summary['PROJECT_NAME']).toBe('items');
    expect(summary['ALLOWED_ORIGINS']).toEqual(['http://localhost:3000', 'http://localhost:5173']);
    expect(summary['TOKEN_AUDIENCE']).toBe('items');
    expect(Object.isFrozen(summary)).toBe(false);
  });

  it('masks extension fields named like secrets', () => {
    const summary = summarizeSettings({
      ...settings,
      STRIPE_API_KEY: 'sk_live_x',
      PAYMENT_PASSWORD: 'p',
      COLOR: 'red',
    });
    expect(summary).toMatchObject({ STRIPE_API_KEY: '***', PAYMENT_PASSWORD: '***', COLOR: 'red' });
  });
});
