import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { sql } from 'kysely';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyTables } from '../../src/apikeys/index.js';
import { buildAuthDeps } from '../../src/auth/index.js';
import { createDbEngine } from '../../src/db/index.js';
import { guardedApp } from '../auth/helpers.js';
import { ensureCliBuilt } from '../cli/build.js';
import { runCli, scratchDir } from '../cli/helpers.js';
import { probe, settingsFor, TARGETS, urlFor } from '../db/helpers/targets.js';

const PEPPER = `Cli-Pepper-${randomBytes(12).toString('hex')}-Aa1!`;
const SLOW = 240_000;

let scratch: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  await ensureCliBuilt();
  scratch = await scratchDir();
}, SLOW);
afterAll(() => scratch.cleanup());

const CASES = await Promise.all(
  TARGETS.map(async (target) => ({ target, name: target.name, unreachable: await probe(target) })),
);

describe.each(CASES)(
  'express-m8 api-key on the $name (child processes)',
  ({ target, unreachable }) => {
    if (unreachable !== undefined) {
      it.skipIf(!process.env.CI)(`needs its server (${unreachable})`, () => {
        throw new Error(`the ${target.name} is unreachable in CI`);
      });
      return;
    }
    const prefix = `m8cli_${randomBytes(4).toString('hex')}`;
    const dataDir = () => path.join(scratch.dir, prefix);
    const env = () => ({
      API_KEYS: 'local',
      API_KEY_PEPPER: PEPPER,
      TABLES_PREFIX: prefix,
      SELECTED_DB: target.kind,
      ...(target.server === undefined ? { PGLITE_DATA_DIR: dataDir() } : { DATABASE_URL: urlFor(target) }),
    });
    const cli = (...args: string[]) => runCli(args, { env: env(), cwd: scratch.dir });
    const settings = () =>
      settingsFor(target, {
        API_KEYS: 'local',
        API_KEY_PEPPER: PEPPER,
        TABLES_PREFIX: prefix,
        ...(target.server === undefined ? { PGLITE_DATA_DIR: dataDir() } : {}),
      });

    afterAll(async () => {
      const engine = createDbEngine<unknown>(settings());
      const t = apiKeyTables(prefix);
      for (const table of [t.keys, t.migrations, t.migrationLock]) {
        await sql`drop table if exists ${sql.table(table)}`.execute(engine.db);
      }
      await engine.dispose();
    });

    let key = '';
    it('creates the keys table with "migrate up" (no migrations folder needed) and lists it in status', async () => {
      const up = await cli('migrate', 'up');
      expect(up.stderr).toBe('');
      expect(up.code).toBe(0);
      expect(up.stdout).toContain('  applied     express_m8_0001_api_keys');
      const again = await cli('migrate', 'up');
      expect(again.stdout).toContain('express-m8 tables up to date');
      const status = await cli('migrate', 'status');
      expect(status.stdout).toMatch(/ {2}applied {5}express_m8_0001_api_keys {2}\(/);
    });

    it('prints a new key once on stdout, and the key works against the same database', async () => {
      const run = await cli(
        'api-key',
        'create',
        '--name',
        'ci job',
        '--role',
        'writer',
        '--scopes',
        'a,b',
        '--expires-in',
        '90d',
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^m8_[a-z0-9]{8}_[A-Za-z0-9]{43}\n$/);
      key = run.stdout.trim();
      expect(run.stderr).toContain('shown only now');
      expect(run.stderr).not.toContain(key);
      const engine = createDbEngine<unknown>(settings());
      const auth = buildAuthDeps(settings(), { db: engine });
      try {
        const res = await request(guardedApp(auth)).get('/writer').set('X-API-Key', key);
        expect(res.status).toBe(200);
        expect(res.body.user).toMatchObject({ role: 'writer', scopes: ['a', 'b'], authMethod: 'api_key' });
      } finally {
        await auth.close();
        await engine.dispose();
      }
    });

    it('lists keys without any secret', async () => {
      const run = await cli('api-key', 'list');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(key.slice(0, 11));
      expect(run.stdout).toContain('active');
      expect(run.stdout).toContain('name="ci job"');
      expect(run.stdout).not.toContain(key.slice(12));
      const json = await cli('api-key', 'list', '--json');
      const listed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
      expect(listed[0]).toMatchObject({
        prefix: key.slice(3, 11),
        role: 'writer',
        scopes: ['a', 'b'],
        revokedAt: null,
      });
      expect(json.stdout).not.toContain(key.slice(12));
    });

    it('revokes by prefix; an unknown id or prefix exits 1', async () => {
      const run = await cli('api-key', 'revoke', key.slice(0, 11));
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('revoked');
      expect((await cli('api-key', 'list')).stdout).toContain('revoked');
      const missing = await cli('api-key', 'revoke', 'zzzzzzzz');
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('no API key has the id or prefix "zzzzzzzz"');
    });
  },
  SLOW,
);

describe('express-m8 api-key usage', () => {
  it('exits 2 with a clear message on bad usage', async () => {
    const noName = await runCli(['api-key', 'create'], { cwd: scratch.dir });
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain('create needs --name');
    const badExpiry = await runCli(['api-key', 'create', '--name', 'x', '--expires-in', '5x'], {
      cwd: scratch.dir,
    });
    expect(badExpiry.code).toBe(2);
    expect(badExpiry.stderr).toContain('--expires-in must be a positive number followed by s, m, h, d or w');
    const superKey = await runCli(['api-key', 'create', '--name', 'x', '--role', 'superadmin'], {
      cwd: scratch.dir,
    });
    expect(superKey.code).toBe(2);
    expect(superKey.stderr).toContain('--role must be one of user, reader, writer, admin');
  });

  it('exits 2 naming API_KEY_PEPPER', async () => {
    const run = await runCli(['api-key', 'list'], { env: { API_KEYS: 'local' }, cwd: scratch.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('API_KEY_PEPPER');
  });
});
