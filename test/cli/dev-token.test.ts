import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import express from 'express';
import { buildAuthDeps } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import { decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt, ROOT } from './build.js';
import { BASE_ENV, runCli, SECRET, scratchDir, useEmptyCwd } from './helpers.js';

const KEYS = path.join(ROOT, 'test/fixtures/keys');
const RSA_PRIVATE = path.join(KEYS, 'rsa-private.pem');
const RSA_PUBLIC = path.join(KEYS, 'rsa-public.pem');
const EC_PRIVATE = path.join(KEYS, 'ec-private.pem');
const EC_PUBLIC = path.join(KEYS, 'ec-public.pem');
const rs256 = {
  ACCESS_TOKEN_ALGORITHM: 'RS256',
  ACCESS_SECRET_KEY: undefined,
  ACCESS_PUBLIC_KEY_FILE: RSA_PUBLIC,
};
const verifyOptions = { issuer: BASE_ENV.TOKEN_ISSUER, audience: BASE_ENV.TOKEN_AUDIENCE };
const SUB = '0b6a3b52-5d3c-4d3e-9f3a-2f1f3c9a7e11';
const TENANT = '7d1f4a7c-1e0b-4a55-8d8c-3b2f0a9e6c42';

let cleanup: () => Promise<void>;
beforeAll(async () => {
  await ensureCliBuilt();
  cleanup = await useEmptyCwd();
}, 180_000);
afterAll(() => cleanup());

function token(stdout: string): string {
  expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  return stdout.trim();
}

describe('express-m8 dev-token', () => {
  it('prints only an HS256 token signed with ACCESS_SECRET_KEY, with the fa-auth-m8 claims', async () => {
    const run = await runCli([
      'dev-token',
      '--role',
      'admin',
      '--email',
      'ada@example.com',
      '--sub',
      SUB,
      '--tenant',
      TENANT,
    ]);
    expect(run.code).toBe(0);
    const { payload, protectedHeader } = await jwtVerify(
      token(run.stdout),
      new TextEncoder().encode(SECRET),
      {
        ...verifyOptions,
        algorithms: ['HS256'],
      },
    );
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({
      sub: SUB,
      type: 'access',
      email: 'ada@example.com',
      full_name: 'Dev User',
      avatar: null,
      is_active: true,
      email_verified: true,
      is_superuser: false,
      role: 'admin',
      tenant_id: TENANT,
    });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.nbf).toBe(payload.iat);
    expect(payload.exp).toBe((payload.iat ?? 0) + 30 * 60);
    expect(run.stderr).toContain('note: HS256 token for ada@example.com (role admin');
    expect(run.stderr).not.toContain(SECRET);
  });

  it.each([
    ['HS256', [], {}],
    ['RS256', ['--private-key', RSA_PRIVATE], rs256],
  ])('mints a %s token that the express-m8 guards accept', async (_, args, env) => {
    const run = await runCli(['dev-token', '--role', 'writer', '--sub', SUB, ...args], { env });
    expect(run.code).toBe(0);
    const auth = buildAuthDeps(testSettings({ ...BASE_ENV, ...env }));
    const app = express().get('/w', auth.requireWriter, (req, res) => {
      res.json({ id: req.user?.id, role: req.user?.role });
    });
    const res = await request(app)
      .get('/w')
      .set('Authorization', `Bearer ${token(run.stdout)}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: SUB, role: 'writer' });
  });

  it('marks a superadmin token is_superuser and honours --expires-minutes', async () => {
    const run = await runCli(['dev-token', '--role', 'superadmin', '--expires-minutes', '5']);
    expect(run.code).toBe(0);
    const { payload } = await jwtVerify(token(run.stdout), new TextEncoder().encode(SECRET), verifyOptions);
    expect(payload).toMatchObject({ role: 'superadmin', is_superuser: true, tenant_id: null });
    expect(payload.exp).toBe((payload.iat ?? 0) + 5 * 60);
  });

  it('signs RS256 with --private-key when it matches ACCESS_PUBLIC_KEY_FILE, with --kid in the header', async () => {
    const run = await runCli(['dev-token', '--private-key', RSA_PRIVATE, '--kid', 'dev-1'], { env: rs256 });
    expect(run.code).toBe(0);
    const jwt = token(run.stdout);
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'dev-1' });
    const key = await importSPKI(
      await import('node:fs').then((fs) => fs.readFileSync(RSA_PUBLIC, 'utf8')),
      'RS256',
    );
    const { payload } = await jwtVerify(jwt, key, verifyOptions);
    expect(payload).toMatchObject({ role: 'user', type: 'access', email: 'dev@example.com' });
  });

  it('signs ES256 with an EC P-256 private key', async () => {
    const run = await runCli(['dev-token', '--private-key', EC_PRIVATE], {
      env: { ...rs256, ACCESS_TOKEN_ALGORITHM: 'ES256', ACCESS_PUBLIC_KEY_FILE: EC_PUBLIC },
    });
    expect(run.code).toBe(0);
    const key = await importSPKI(
      await import('node:fs').then((fs) => fs.readFileSync(EC_PUBLIC, 'utf8')),
      'ES256',
    );
    await expect(jwtVerify(token(run.stdout), key, verifyOptions)).resolves.toBeDefined();
  });

  it('refuses a private key that does not match ACCESS_PUBLIC_KEY_FILE', async () => {
    const scratch = await scratchDir();
    try {
      const other = path.join(scratch.dir, 'other.pem');
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      await writeFile(other, privateKey.export({ format: 'pem', type: 'pkcs8' }));
      const run = await runCli(['dev-token', '--private-key', other], { env: rs256 });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('--private-key does not match ACCESS_PUBLIC_KEY_FILE');
    } finally {
      await scratch.cleanup();
    }
  });

  it.each([
    [
      'an EC key for RS256',
      ['--private-key', EC_PRIVATE],
      rs256,
      'ACCESS_TOKEN_ALGORITHM=RS256 needs an RSA key (got an EC key on prime256v1 in --private-key)',
    ],
    ['RS256 without --private-key', [], rs256, 'ACCESS_TOKEN_ALGORITHM=RS256 needs --private-key'],
    ['--private-key with HS256', ['--private-key', RSA_PRIVATE], {}, '--private-key is for RS256/ES256'],
    [
      'a missing key file',
      ['--private-key', '/nonexistent/key.pem'],
      rs256,
      'is not a readable PEM private key',
    ],
  ])('exits 2 for %s', async (_, args, env, message) => {
    const run = await runCli(['dev-token', ...args], { env });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
  });

  it.each([
    // Production refuses the default in-memory Pglite: a database server is named so only dev-token refuses.
    [
      'ENVIRONMENT=production',
      {
        ENVIRONMENT: 'production',
        SELECTED_DB: 'Postgres',
        DATABASE_URL: 'postgres://app@db.example.com/app',
      },
    ],
    ['STRICT_PRODUCTION_MODE=true', { STRICT_PRODUCTION_MODE: 'true' }],
  ])('refuses with exit 2 when %s', async (_, env) => {
    const run = await runCli(['dev-token'], {
      env: {
        ...env,
        FRONTEND_HOST: 'https://app.example.com',
        BACKEND_HOST: 'https://api.example.com',
        BACKEND_CORS_ORIGINS: 'https://app.example.com',
      },
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('refused');
    expect(run.stderr).toContain('local development only');
  });

  it.each([
    [['--role', 'root'], '--role must be one of user, reader, writer, admin, superadmin (got "root")'],
    [['--sub', 'not-a-uuid'], '--sub must be a UUID'],
    [['--email', 'nobody'], '--email must look like name@domain'],
    [['--expires-minutes', '0'], '--expires-minutes must be a whole number >= 1'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('exits 2 with the usage for %j', async (args, message) => {
    const run = await runCli(['dev-token', ...args]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('Usage: express-m8 dev-token');
  });
});
