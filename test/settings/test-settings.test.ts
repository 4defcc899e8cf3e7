import { SettingsError } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';

describe('testSettings', () => {
  it('returns valid settings for tests: HS256, stateless, no event signing, issuer and audience, silent logs', () => {
    const s = testSettings();
    expect(s).toMatchObject({
      ACCESS_TOKEN_ALGORITHM: 'HS256',
      TOKEN_MODE: 'stateless',
      EVENT_SIGNING_ENABLED: false,
      TOKEN_STRICT_VALIDATION: true,
      LOG_LEVEL: 'silent',
      SELECTED_DB: 'Pglite',
      ENVIRONMENT: 'local',
    });
    expect(s.ACCESS_SECRET_KEY?.length).toBeGreaterThanOrEqual(32);
    expect(s.TOKEN_ISSUER).toBeTruthy();
    expect(s.TOKEN_AUDIENCE).toBeTruthy();
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('takes env-style overrides: strings, numbers, booleans and string arrays', () => {
    const s = testSettings({
      PROJECT_NAME: 'orders',
      DB_POOL_MAX: 3,
      METRICS_ENABLED: true,
      ALLOWED_HOSTS: ['api.example.com', '*.example.com'],
    });
    expect(s).toMatchObject({
      PROJECT_NAME: 'orders',
      DB_POOL_MAX: 3,
      METRICS_ENABLED: true,
      ALLOWED_HOSTS: ['api.example.com', '*.example.com'],
    });
  });

  it('removes a default with undefined', () => {
    expect(testSettings({ LOG_LEVEL: undefined }).LOG_LEVEL).toBe('info');
    expect(() => testSettings({ ACCESS_SECRET_KEY: undefined })).toThrow(SettingsError);
  });

  it('runs overrides through the same validation and ignores process.env', () => {
    process.env['PROJECT_NAME'] = 'from-process-env';
    try {
      expect(testSettings().PROJECT_NAME).toBe('test-service');
    } finally {
      delete process.env['PROJECT_NAME'];
    }
    expect(() => testSettings({ TOKEN_MODE: 'stateful' })).toThrow(/INTROSPECTION_URL/);
  });

  it('accepts an extension', () => {
    const s = testSettings({ SHOP_ID: 42 }, { extend: z.object({ SHOP_ID: z.coerce.number() }) });
    expect(s.SHOP_ID).toBe(42);
    expectTypeOf(s.SHOP_ID).toEqualTypeOf<number>();
  });
});
