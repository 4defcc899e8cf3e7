import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyTables, createApiKeyManager } from '../../src/apikeys/index.js';
import { type AuthDeps, buildAuthDeps } from '../../src/auth/index.js';
import { createDbEngine, type DbEngine } from '../../src/db/index.js';
import { generateKeys, mintToken } from '../../src/testing/index.js';
import { bearer, guardedApp, rawRequest } from '../auth/helpers.js';
import { probe, settingsFor, TARGETS } from '../db/helpers/targets.js';
import { manualClock } from '../support/clock.js';

const PEPPER = `Pepper-${randomBytes(16).toString('base64url')}-9!`;

const CASES = await Promise.all(
  TARGETS.map(async (target) => ({ target, name: target.name, unreachable: await probe(target) })),
);

describe.each(CASES)(
  'API_KEYS=local on the $name',
  ({ target, unreachable }) => {
    if (unreachable !== undefined) {
      it.skipIf(!process.env.CI)(`needs its server (${unreachable})`, () => {
        throw new Error(`the ${target.name} is unreachable in CI`);
      });
      return;
    }
    const prefix = `m8ak_${randomBytes(4).toString('hex')}`;
    const settings = settingsFor(target, {
      API_KEYS: 'local',
      API_KEY_PEPPER: PEPPER,
      TABLES_PREFIX: prefix,
    });
    const clock = manualClock();
    let engine: DbEngine<unknown>;
    let auth: AuthDeps;
    let queries = 0;
    const manager = () => createApiKeyManager(engine, settings);

    beforeAll(async () => {
      engine = createDbEngine<unknown>(settings, { observer: { onQuery: () => void queries++ } });
      auth = buildAuthDeps(settings, { db: engine, now: clock.now });
    });
    afterAll(async () => {
      await auth.close();
      const t = apiKeyTables(prefix);
      for (const table of [t.keys, t.migrations, t.migrationLock]) {
        await sql`drop table if exists ${sql.table(table)}`.execute(engine.db);
      }
      await engine.dispose();
    });

    it('creates the table with the library migration, once', async () => {
      expect(await manager().migrate()).toEqual(['express_m8_0001_api_keys']);
      expect(await manager().migrate()).toEqual([]);
    });

    it('prints a key of the documented shape once and stores only its HMAC digest', async () => {
      const created = await manager().create({
        name: 'ci job',
        role: 'writer',
        scopes: ['items:read', 'items:write'],
      });
      expect(created.key).toMatch(/^m8_[a-z0-9]{8}_[A-Za-z0-9]{43}$/);
      expect(created.key.slice(3, 11)).toBe(created.prefix);
      const rows = await sql<
        Record<string, unknown>
      >`select * from ${sql.table(apiKeyTables(prefix).keys)}`.execute(engine.db);
      const text = JSON.stringify(rows.rows);
      expect(text).not.toContain(created.key.slice(12));
      expect(rows.rows[0]!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
      const listed = await manager().list();
      expect(JSON.stringify(listed)).not.toContain(created.key.slice(12));
      expect(listed[0]).toMatchObject({ id: created.id, name: 'ci job', role: 'writer', revokedAt: null });
    });

    it('lets every guard accept a key, with req.user shaped for api_key', async () => {
      const { key, id } = await manager().create({ name: 'writer key', role: 'writer', scopes: ['a', 'b'] });
      const app = guardedApp(auth);
      const res = await request(app).get('/user').set('X-API-Key', key);
      expect(res.status).toBe(200);
      expect(res.body.user).toEqual({
        id,
        email: null,
        fullName: 'writer key',
        avatar: null,
        role: 'writer',
        isActive: true,
        isSuperuser: false,
        emailVerified: false,
        tenantId: null,
        jti: null,
        claims: {},
        roles: ['writer'],
        scopes: ['a', 'b'],
        issuer: null,
        authMethod: 'api_key',
      });
      for (const path of ['/optional', '/reader', '/writer', '/role/user']) {
        expect((await request(app).get(path).set('X-API-Key', key)).status).toBe(200);
      }
      for (const path of ['/admin', '/superuser', '/stacked']) {
        const refused = await request(app).get(path).set('X-API-Key', key);
        expect(refused.status).toBe(403);
        expect(refused.body.code).toBe('ERR_AUTH_INSUFFICIENT_ROLE');
      }
    });

    it('refuses unknown, malformed and wrong-secret keys with 401 ERR_AUTH_INVALID_API_KEY', async () => {
      const { key } = await manager().create({ name: 'real' });
      const app = guardedApp(auth);
      const wrongSecret = `${key.slice(0, 12)}${'A'.repeat(43)}`;
      for (const bad of ['nope', `m8_zzzzzzzz_${'a'.repeat(43)}`, wrongSecret, `${key}x,`, '']) {
        const res = await request(app).get('/user').set('X-API-Key', bad);
        expect(res.status, bad).toBe(401);
        expect(res.headers['content-type']).toBe('application/problem+json');
        expect(res.body).toMatchObject({
          status: 401,
          detail: 'Invalid or expired API key',
          code: 'ERR_AUTH_INVALID_API_KEY',
        });
        expect(res.headers['www-authenticate']).toBe('ApiKey header="X-API-Key"');
      }
      // optionalUser does not turn a bad key into an anonymous caller.
      expect((await request(app).get('/optional').set('X-API-Key', wrongSecret)).status).toBe(401);
    });

    it('answers 400 naming both headers when a bearer token and a key arrive together, and for two keys', async () => {
      const { key } = await manager().create({ name: 'both' });
      const keys = await generateKeys('HS256', { secret: settings.ACCESS_SECRET_KEY! });
      const app = guardedApp(auth);
      const res = await request(app)
        .get('/user')
        .set('X-API-Key', key)
        .set(...bearer(mintToken(keys, {})));
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('ERR_AUTH_AMBIGUOUS_CREDENTIALS');
      expect(res.body.detail).toContain('Authorization');
      expect(res.body.detail).toContain('X-API-Key');
      const twice = await rawRequest(app, '/user', [`X-API-Key: ${key}`, `X-API-Key: ${key}`]);
      expect(twice.status).toBe(400);
      expect(JSON.parse(twice.body).detail).toBe('More than one X-API-Key header was sent.');
    });

    it('refuses a revoked key once the cache TTL has passed, and not before', async () => {
      const { key, id } = await manager().create({ name: 'to revoke' });
      const app = guardedApp(auth);
      expect((await request(app).get('/user').set('X-API-Key', key)).status).toBe(200);
      expect((await manager().revoke(id))?.revokedAt).toBeInstanceOf(Date);
      clock.advance(29_000);
      expect((await request(app).get('/user').set('X-API-Key', key)).status).toBe(200);
      clock.advance(1_001);
      expect((await request(app).get('/user').set('X-API-Key', key)).status).toBe(401);
    });

    it('refuses a key the moment it expires, cached or not', async () => {
      const expiresAt = new Date(clock.now() + 10_000);
      const { key } = await manager().create({ name: 'short', expiresAt });
      const app = guardedApp(auth);
      expect((await request(app).get('/user').set('X-API-Key', key)).status).toBe(200);
      clock.advance(10_000);
      expect((await request(app).get('/user').set('X-API-Key', key)).status).toBe(401);
    });

    it('asks the database once per prefix within the TTL, for known keys and for random guesses', async () => {
      const { key } = await manager().create({ name: 'hot' });
      const app = guardedApp(auth);
      queries = 0;
      for (let i = 0; i < 10; i++)
        expect((await request(app).get('/user').set('X-API-Key', key)).status).toBe(200);
      expect(queries).toBe(1);
      queries = 0;
      const guesses = Array.from(
        { length: 10 },
        () => `m8_qqqqqqqq_${randomBytes(32).toString('hex').slice(0, 43)}`,
      );
      await Promise.all(guesses.map((g) => request(app).get('/user').set('X-API-Key', g).expect(401)));
      expect(queries).toBe(1);
    });

    it('records last_used_at in a batch flushed at close, without a write per request', async () => {
      const ownAuth = buildAuthDeps(settings, { db: engine });
      {
        const { key, id } = await manager().create({ name: 'used' });
        const app = guardedApp(ownAuth);
        for (let i = 0; i < 5; i++) await request(app).get('/user').set('X-API-Key', key).expect(200);
        expect((await manager().list()).find((k) => k.id === id)?.lastUsedAt).toBeNull();
        await ownAuth.close();
        await ownAuth.close();
        const used = (await manager().list()).find((k) => k.id === id)?.lastUsedAt;
        expect(used).toBeInstanceOf(Date);
        expect(Math.abs(used!.getTime() - Date.now())).toBeLessThan(60_000);
      }
    });

    it('answers 503 ERR_AUTH_API_KEY_UNAVAILABLE when the key store cannot be read', async () => {
      const { key } = await manager().create({ name: 'outage' });
      const gone = createDbEngine<unknown>(settings);
      await gone.dispose();
      const goneAuth = buildAuthDeps(settings, { db: gone });
      const res = await request(guardedApp(goneAuth)).get('/user').set('X-API-Key', key);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('ERR_AUTH_API_KEY_UNAVAILABLE');
      expect(res.headers['retry-after']).toBe('5');
      await goneAuth.close();
    });
  },
  120_000,
);
