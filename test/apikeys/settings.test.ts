import { describe, expect, it } from 'vitest';
import { apiKeysEnabled } from '../../src/apikeys/index.js';
import { buildAuthDeps } from '../../src/auth/index.js';
import { SettingsError } from '../../src/errors.js';
import { summarizeSettings } from '../../src/settings/index.js';
import { testSettings } from '../../src/testing/index.js';

const PEPPER = 'Pepper-0123456789-abcdefghijKLMNOP!';

function issues(overrides: Record<string, string>): Array<{ variable: string; message: string }> {
  try {
    testSettings(overrides);
  } catch (error) {
    if (error instanceof SettingsError) return [...error.issues];
    throw error;
  }
  return [];
}

describe('API key settings', () => {
  it('defaults to off with a 30 s cache', () => {
    const s = testSettings();
    expect(s).toMatchObject({ API_KEYS: 'off', API_KEY_PEPPER: undefined, API_KEY_CACHE_TTL_SECONDS: 30 });
    expect(apiKeysEnabled(s)).toBe(false);
    expect(apiKeysEnabled(testSettings({ API_KEYS: 'local', API_KEY_PEPPER: PEPPER }))).toBe(true);
  });

  it('requires a strong API_KEY_PEPPER when local, never echoing it', () => {
    expect(issues({ API_KEYS: 'local' })).toEqual([
      { variable: 'API_KEY_PEPPER', message: expect.stringContaining('is required when API_KEYS=local') },
    ]);
    const weak = issues({ API_KEYS: 'local', API_KEY_PEPPER: 'short-pepper' });
    expect(weak).toEqual([
      { variable: 'API_KEY_PEPPER', message: expect.stringContaining('at least 32 characters') },
    ]);
    expect(JSON.stringify(weak)).not.toContain('short-pepper');
  });

  it('requires the issuer settings when introspect', () => {
    expect(
      issues({ API_KEYS: 'introspect' })
        .map((i) => i.variable)
        .sort(),
    ).toEqual(['INTERNAL_CLIENT_ID', 'INTROSPECTION_URL', 'PRIVATE_API_SECRET']);
  });

  it('names the accepted values of API_KEYS and bounds the TTL', () => {
    expect(issues({ API_KEYS: 'on' })[0]).toMatchObject({
      variable: 'API_KEYS',
      message: expect.stringContaining('off, local, introspect'),
    });
    expect(issues({ API_KEY_CACHE_TTL_SECONDS: '-1' })[0]?.variable).toBe('API_KEY_CACHE_TTL_SECONDS');
  });

  it('masks the pepper in the summary but shows the mode and the TTL', () => {
    const summary = summarizeSettings(testSettings({ API_KEYS: 'local', API_KEY_PEPPER: PEPPER }));
    expect(summary).toMatchObject({
      API_KEYS: 'local',
      API_KEY_PEPPER: '***',
      API_KEY_CACHE_TTL_SECONDS: 30,
    });
  });

  it('refuses buildAuthDeps for local keys without a database engine', () => {
    const settings = testSettings({ API_KEYS: 'local', API_KEY_PEPPER: PEPPER });
    expect(() => buildAuthDeps(settings)).toThrow(/API_KEYS: is "local" but buildAuthDeps got no database/);
  });
});

describe('auth.start() with API_KEYS=local', () => {
  it('warns when the keys table was never migrated, and still starts', async () => {
    const { createDbEngine } = await import('../../src/db/index.js');
    const { createLogSink } = await import('../support/log-sink.js');
    const settings = testSettings({
      API_KEYS: 'local',
      API_KEY_PEPPER: PEPPER,
      TABLES_PREFIX: 'never_migrated',
    });
    const engine = createDbEngine<unknown>(settings);
    const sink = createLogSink({ level: 'debug' });
    const auth = buildAuthDeps(settings, { db: engine, logger: sink.logger });
    try {
      await auth.start();
      const line = sink.lines().find((l) => l.event === 'api_keys_table_unreadable');
      expect(line?.msg).toContain(
        'never_migrated_api_keys cannot be read: create it with "express-m8 migrate up"',
      );
    } finally {
      await auth.close();
      await engine.dispose();
    }
  }, 120_000);
});
