import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings, SettingsError, type SettingsIssue } from 'express-m8';
import { afterAll, expect } from 'vitest';

/** A strong secret that satisfies every rule. */
export const STRONG = 'Str0ng!-secret-value-for-TESTS-0123456789';
export const STRONG_2 = 'An0ther!-strong-secret-FOR-tests-987654321';

/** The smallest valid env: HS256, stateless, event signing off. */
export const BASE_ENV: Readonly<Record<string, string>> = {
  DOMAIN: 'example.com',
  ENVIRONMENT: 'local',
  PROJECT_NAME: 'items',
  STACK_NAME: 'stack',
  API_PREFIX: '/api',
  BACKEND_HOST: 'http://localhost:8000',
  FRONTEND_HOST: 'http://localhost:5173',
  BACKEND_CORS_ORIGINS: 'http://localhost:3000',
  ACCESS_TOKEN_ALGORITHM: 'HS256',
  ACCESS_SECRET_KEY: STRONG,
  TOKEN_MODE: 'stateless',
  TOKEN_ISSUER: 'https://auth.example.com',
  TOKEN_AUDIENCE: 'items',
  EVENT_SIGNING_ENABLED: 'false',
};

/** A valid env for production: https origins, no loopback, a database server (never an in-memory one). */
export const PROD_ENV: Readonly<Record<string, string>> = {
  ...BASE_ENV,
  ENVIRONMENT: 'production',
  SELECTED_DB: 'Postgres',
  DATABASE_URL: 'postgres://app@db.example.com:5432/app',
  BACKEND_HOST: 'https://api.example.com',
  FRONTEND_HOST: 'https://app.example.com',
  BACKEND_CORS_ORIGINS: 'https://admin.example.com',
};

/** Loads BASE_ENV plus `overrides` (`undefined` removes a variable), without process.env or a .env file. */
export function load(overrides: Record<string, string | undefined> = {}, base = BASE_ENV) {
  const env: Record<string, string | undefined> = { ...base, ...overrides };
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete env[k];
  return loadSettings({ env, envFile: false });
}

/** Runs `fn`, asserts it throws a SettingsError, returns it. */
export function settingsError(fn: () => unknown): SettingsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return err as SettingsError;
  }
  throw new Error('expected a SettingsError, nothing was thrown');
}

/** The issues of loading BASE_ENV plus `overrides`. */
export function issuesFor(
  overrides: Record<string, string | undefined>,
  base = BASE_ENV,
): readonly SettingsIssue[] {
  return settingsError(() => load(overrides, base)).issues;
}

/** The messages about `variable` among `issues`. */
export function messagesAbout(issues: readonly SettingsIssue[], variable: string): string[] {
  return issues.filter((i) => i.variable === variable).map((i) => i.message);
}

/** A temporary directory removed after the file's tests. */
export function tempDir(): { dir: string; write(name: string, content: string): string } {
  const dir = mkdtempSync(join(tmpdir(), 'm8-settings-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
  };
}
