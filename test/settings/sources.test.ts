import { join } from 'node:path';
import { loadSettings } from 'express-m8';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BASE_ENV,
  issuesFor,
  load,
  messagesAbout,
  STRONG,
  STRONG_2,
  settingsError,
  tempDir,
} from './helpers.js';

const tmp = tempDir();

function envText(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([k, v]) => `${k}="${v}"`)
    .join('\n');
}

describe('.env file', () => {
  const cwd = process.cwd();
  afterEach(() => process.chdir(cwd));

  it('reads a named file with Node parser syntax (comments, quotes, export-free lines)', () => {
    const path = tmp.write(
      'named.env',
      `# comment\n${envText(BASE_ENV)}\nPROJECT_NAME='from file' # trailing\n`,
    );
    const s = loadSettings({ env: {}, envFile: path });
    expect(s.PROJECT_NAME).toBe('from file');
    expect(s.ACCESS_SECRET_KEY).toBe(STRONG);
  });

  it('lets the environment win over the file', () => {
    const path = tmp.write(
      'precedence.env',
      envText({ ...BASE_ENV, PROJECT_NAME: 'file', LOG_LEVEL: 'debug' }),
    );
    const s = loadSettings({ env: { PROJECT_NAME: 'env' }, envFile: path });
    expect(s.PROJECT_NAME).toBe('env');
    expect(s.LOG_LEVEL).toBe('debug');
  });

  it('reads .env from the working directory by default and skips it silently when absent', () => {
    const dir = tempDir();
    dir.write('.env', envText({ ...BASE_ENV, PROJECT_NAME: 'cwd-dotenv' }));
    process.chdir(dir.dir);
    expect(loadSettings({ env: {} }).PROJECT_NAME).toBe('cwd-dotenv');
    process.chdir(tempDir().dir);
    expect(loadSettings({ env: { ...BASE_ENV } }).PROJECT_NAME).toBe('items');
  });

  it('reads no file with envFile: false', () => {
    const dir = tempDir();
    dir.write('.env', 'PROJECT_NAME=should-not-be-read\n');
    process.chdir(dir.dir);
    expect(loadSettings({ env: { ...BASE_ENV }, envFile: false }).PROJECT_NAME).toBe('items');
  });

  it('reports a named file that does not exist', () => {
    const missing = join(tmp.dir, 'missing.env');
    const err = settingsError(() => loadSettings({ env: { ...BASE_ENV }, envFile: missing }));
    expect(err.issues).toEqual([
      { variable: 'envFile', message: `cannot read the env file ${JSON.stringify(missing)} (ENOENT)` },
    ]);
  });
});

describe('X_FILE indirection', () => {
  it('uses the trimmed content of the file named by X_FILE as X', () => {
    const path = tmp.write('access-secret', `\n  ${STRONG}\n\n`);
    expect(load({ ACCESS_SECRET_KEY: undefined, ACCESS_SECRET_KEY_FILE: path }).ACCESS_SECRET_KEY).toBe(
      STRONG,
    );
  });

  it('works for non-secret fields too, and validates the content like a direct value', () => {
    const good = tmp.write('pool', '42\n');
    expect(load({ DB_POOL_MAX_FILE: good }).DB_POOL_MAX).toBe(42);
    const bad = tmp.write('pool-bad', 'lots\n');
    expect(messagesAbout(issuesFor({ DB_POOL_MAX_FILE: bad }), 'DB_POOL_MAX')).toEqual([
      'expected a whole number between 1 and 10000, got "lots"',
    ]);
  });

  it('rejects setting both X and X_FILE', () => {
    const path = tmp.write('both', STRONG_2);
    expect(issuesFor({ ACCESS_SECRET_KEY_FILE: path })).toEqual([
      {
        variable: 'ACCESS_SECRET_KEY',
        message: expect.stringContaining('both ACCESS_SECRET_KEY and ACCESS_SECRET_KEY_FILE are set'),
      },
    ]);
  });

  it('reports an unreadable file under X_FILE, once', () => {
    const missing = join(tmp.dir, 'nope');
    expect(issuesFor({ ACCESS_SECRET_KEY: undefined, ACCESS_SECRET_KEY_FILE: missing })).toEqual([
      {
        variable: 'ACCESS_SECRET_KEY_FILE',
        message: `cannot read the file ${JSON.stringify(missing)} holding ACCESS_SECRET_KEY (ENOENT)`,
      },
    ]);
  });

  it('ignores X_FILE for unknown X', () => {
    expect(load({ REDIS_PASSWORD_FILE: join(tmp.dir, 'nope') })).not.toHaveProperty('REDIS_PASSWORD');
  });

  it('lets an environment X_FILE win over the .env file X', () => {
    const secret = tmp.write('env-wins', STRONG_2);
    const dotenv = tmp.write('x-file.env', envText({ ...BASE_ENV }));
    const s = loadSettings({ env: { ACCESS_SECRET_KEY_FILE: secret }, envFile: dotenv });
    expect(s.ACCESS_SECRET_KEY).toBe(STRONG_2);
  });

  it('reads X_FILE from the .env file too', () => {
    const secret = tmp.write('from-dotenv', STRONG_2);
    const { ACCESS_SECRET_KEY: _, ...rest } = BASE_ENV;
    const dotenv = tmp.write('x-file-2.env', envText({ ...rest, ACCESS_SECRET_KEY_FILE: secret }));
    expect(loadSettings({ env: {}, envFile: dotenv }).ACCESS_SECRET_KEY).toBe(STRONG_2);
  });
});

describe('unknown variables', () => {
  it('ignores REDIS_*, issuer-only and any other variables', () => {
    const s = load({
      REDIS_URL: 'redis://r:6379',
      REDIS_PASSWORD: 'x',
      ACCESS_PRIVATE_KEY_FILE: '/run/secrets/private.pem',
      REFRESH_TOKEN_EXPIRE_MINUTES: 'not even a number',
      FIRST_SUPERUSER: 'admin@example.com',
    });
    expect(Object.keys(s)).not.toContain('REDIS_URL');
  });
});
