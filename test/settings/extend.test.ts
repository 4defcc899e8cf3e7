import { loadSettings, type Settings } from 'express-m8';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { BASE_ENV, settingsError, tempDir } from './helpers.js';

const extension = z.object({
  STRIPE_API_KEY: z.string().min(10),
  ORDER_LIMIT: z.coerce.number().int().positive().default(50),
  FEATURE_X: z.stringbool().default(false),
  NICKNAME: z.string().optional(),
});

function loadExtended(env: Record<string, string | undefined>) {
  return loadSettings({ env: { ...BASE_ENV, ...env }, envFile: false, extend: extension });
}

describe('extend', () => {
  it('adds the consumer fields, parsed and typed, next to the built-in ones', () => {
    const s = loadExtended({ STRIPE_API_KEY: 'sk_test_1234567890', ORDER_LIMIT: '7', FEATURE_X: 'yes' });
    expect(s).toMatchObject({
      STRIPE_API_KEY: 'sk_test_1234567890',
      ORDER_LIMIT: 7,
      FEATURE_X: true,
      NICKNAME: undefined,
    });
    expect(s.PROJECT_NAME).toBe('items');
    expectTypeOf(s.STRIPE_API_KEY).toEqualTypeOf<string>();
    expectTypeOf(s.ORDER_LIMIT).toEqualTypeOf<number>();
    expectTypeOf(s.FEATURE_X).toEqualTypeOf<boolean>();
    expectTypeOf(s.NICKNAME).toEqualTypeOf<string | undefined>();
    expectTypeOf(s).toExtend<Settings>();
  });

  it('returns plain Settings when nothing extends them', () => {
    const s = loadSettings({ env: { ...BASE_ENV }, envFile: false });
    expectTypeOf(s).toEqualTypeOf<Readonly<Settings>>();
    // @ts-expect-error: no such field without extend
    expect(s.STRIPE_API_KEY).toBeUndefined();
  });

  it('reports extension problems in the same SettingsError as built-in ones, each by name', () => {
    const err = settingsError(() =>
      loadExtended({ DB_POOL_MAX: 'x', STRIPE_API_KEY: 'short', ORDER_LIMIT: '-3' }),
    );
    expect(err.issues.map((i) => i.variable)).toEqual(['DB_POOL_MAX', 'STRIPE_API_KEY', 'ORDER_LIMIT']);
  });

  it('names a missing required extension field as required', () => {
    const err = settingsError(() => loadExtended({}));
    expect(err.issues).toEqual([
      { variable: 'STRIPE_API_KEY', message: expect.stringContaining('is required') },
    ]);
  });

  it('never echoes an extension value in a message', () => {
    const strict = z.object({
      TOKEN_X: z.string().refine((v) => v === 'expected', { error: (i) => `bad ${i.input}` }),
    });
    const err = settingsError(() =>
      loadSettings({ env: { ...BASE_ENV, TOKEN_X: 'super-secret-value' }, envFile: false, extend: strict }),
    );
    expect(err.message).not.toContain('super-secret-value');
  });

  it('supports X_FILE for extension fields', () => {
    const tmp = tempDir();
    const path = tmp.write('stripe', 'sk_live_from_file_123\n');
    expect(loadExtended({ STRIPE_API_KEY_FILE: path }).STRIPE_API_KEY).toBe('sk_live_from_file_123');
  });

  it('deep-freezes the extension fields too', () => {
    const lists = z.object({
      TAGS: z
        .string()
        .default('a,b')
        .transform((v) => v.split(',')),
    });
    const s = loadSettings({ env: { ...BASE_ENV }, envFile: false, extend: lists });
    expect(s.TAGS).toEqual(['a', 'b']);
    expect(Object.isFrozen(s.TAGS)).toBe(true);
  });

  it('rejects an extension that redefines a built-in variable', () => {
    const clash = z.object({ LOG_LEVEL: z.string() });
    const err = settingsError(() => loadSettings({ env: { ...BASE_ENV }, envFile: false, extend: clash }));
    expect(err.issues).toEqual([{ variable: 'LOG_LEVEL', message: expect.stringContaining('built-in') }]);
  });
});
