import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt } from './build.js';
import { DB_PASSWORD, runCli, SECRET, scratchDir, useEmptyCwd } from './helpers.js';

let cleanup: () => Promise<void>;
beforeAll(async () => {
  await ensureCliBuilt();
  cleanup = await useEmptyCwd();
}, 180_000);
afterAll(() => cleanup());

describe('express-m8 check-config', () => {
  it('prints the redacted summary as aligned NAME = value lines and exits 0', async () => {
    const run = await runCli(['check-config'], {
      env: {
        SELECTED_DB: 'Postgres',
        DATABASE_URL: `postgres://app:${DB_PASSWORD}@db.internal:5432/app`,
        BACKEND_CORS_ORIGINS: 'http://localhost:5173,http://localhost:3000',
      },
    });
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(40);
    const columns = new Set(lines.map((line) => line.indexOf(' = ')));
    expect(columns.size).toBe(1);
    const value = (name: string) => lines.find((l) => l.startsWith(`${name} `))?.split(' = ')[1];
    expect(value('PROJECT_NAME')).toBe('cli-test');
    expect(value('ACCESS_SECRET_KEY')).toBe('***');
    expect(value('DATABASE_URL')).toBe('***');
    expect(value('BACKEND_CORS_ORIGINS')).toBe('http://localhost:5173,http://localhost:3000');
    expect(value('JWKS_URI')).toBe('(unset)');
    expect(run.stdout + run.stderr).not.toContain(SECRET);
    expect(run.stdout + run.stderr).not.toContain(DB_PASSWORD);
    expect(run.stderr).toContain('the settings are valid (0 warnings)');
  });

  it('says in --help that DATABASE_URL prints entirely as ***, as it does', async () => {
    const help = await runCli(['check-config', '--help']);
    expect(help.code).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    expect(text).toMatch(/Secrets print entirely as \*\*\*: [^.]*DATABASE_URL/);
    const run = await runCli(['check-config', '--json'], {
      env: { SELECTED_DB: 'Postgres', DATABASE_URL: `postgres://app:${DB_PASSWORD}@db.internal:5432/app` },
    });
    expect((JSON.parse(run.stdout) as { settings: Record<string, unknown> }).settings.DATABASE_URL).toBe(
      '***',
    );
  });

  it('prints the summary and the warnings as JSON with --json', async () => {
    const run = await runCli(['check-config', '--json'], { env: { METRICS_ENABLED: 'true' } });
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as {
      settings: Record<string, unknown>;
      warnings: { variable: string; message: string }[];
    };
    expect(out.settings.ACCESS_SECRET_KEY).toBe('***');
    expect(out.settings.METRICS_ENABLED).toBe(true);
    expect(out.warnings.map((w) => w.variable)).toEqual(['METRICS_SCRAPE_CREDENTIAL']);
    expect(run.stdout).not.toContain(SECRET);
  });

  it('prints configuration warnings on stderr', async () => {
    const run = await runCli(['check-config'], { env: { METRICS_ENABLED: 'true' } });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('warning: METRICS_SCRAPE_CREDENTIAL: GET /metrics is public');
    expect(run.stderr).toContain('(1 warning)');
  });

  it('reads the .env file of the working directory, under the environment', async () => {
    const scratch = await scratchDir();
    try {
      await writeFile(path.join(scratch.dir, '.env'), 'PROJECT_NAME=from-dotenv\nSTACK_NAME=from-dotenv\n');
      const run = await runCli(['check-config'], {
        cwd: scratch.dir,
        env: { PROJECT_NAME: undefined, STACK_NAME: 'from-env' },
      });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^PROJECT_NAME +=[ ]from-dotenv$/m);
      expect(run.stdout).toMatch(/^STACK_NAME +=[ ]from-env$/m);
    } finally {
      await scratch.cleanup();
    }
  });

  it('exits 2 listing every problem by variable name on stderr, never the secret value', async () => {
    const weak = 'weak-secret-value';
    const run = await runCli(['check-config'], {
      env: { DOMAIN: undefined, ACCESS_SECRET_KEY: weak, ENVIRONMENT: 'prod', DB_POOL_MAX: 'many' },
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/Invalid settings \(4 problems\)/);
    for (const variable of ['DOMAIN', 'ACCESS_SECRET_KEY', 'ENVIRONMENT', 'DB_POOL_MAX']) {
      expect(run.stderr).toContain(`  - ${variable}: `);
    }
    expect(run.stderr).not.toContain(weak);
  });
});
